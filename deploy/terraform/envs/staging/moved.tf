# These modules were called here before modules/platform: the moves keep an existing state's resources
# (no destroy and create). Keep them while any state of this env may not have been applied since.
moved {
  from = module.kms
  to   = module.platform.module.kms
}

moved {
  from = module.network
  to   = module.platform.module.network
}

moved {
  from = module.ecr
  to   = module.platform.module.ecr
}

moved {
  from = module.storage
  to   = module.platform.module.storage
}

moved {
  from = module.database
  to   = module.platform.module.database
}

moved {
  from = module.cache
  to   = module.platform.module.cache
}

moved {
  from = module.secrets
  to   = module.platform.module.secrets
}

moved {
  from = module.cognito
  to   = module.platform.module.cognito
}

moved {
  from = module.monitoring
  to   = module.platform.module.monitoring
}

moved {
  from = module.api
  to   = module.platform.module.api
}

moved {
  from = module.webserver_lb
  to   = module.platform.module.webserver_lb
}

moved {
  from = module.ecs
  to   = module.platform.module.ecs
}

moved {
  from = module.github_oidc
  to   = module.platform.module.github_oidc
}
