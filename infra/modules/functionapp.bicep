// The Functions app on a Flex Consumption plan, .NET 10 isolated worker, running as the
// user-assigned identity. Flex Consumption takes its runtime, scale and deployment source from
// functionAppConfig, so FUNCTIONS_WORKER_RUNTIME, FUNCTIONS_EXTENSION_VERSION and
// WEBSITE_RUN_FROM_PACKAGE must not (and here do not) appear in the app settings.
param name string
param planName string
param location string
param tags object

@description('Resource id of the user-assigned identity.')
param identityId string

@description('Client id of the user-assigned identity.')
param identityClientId string

param storageAccountName string

@description('https://<account>.blob.<suffix>/<container>: where azd uploads the deployment package.')
param deploymentContainerUrl string

@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 100

param corsAllowedOrigins array = []

@description('App settings specific to Restaurant OS (merged over the host settings below).')
param appSettings object

@description('Optional app settings: each one is written only when its value is not empty.')
param optionalAppSettings object = {}

@secure()
@description('HS256 secret for app JWTs; added as Auth__SigningKey only when not empty.')
param authSigningKey string = ''

@secure()
@description('Key (base64, 32+ bytes) that authenticates the connection state; written as ConnectionStateProtection__Key.')
param connectionStateKey string

@secure()
@description('The previous connection-state key during a rotation overlap; added as ConnectionStateProtection__PreviousKeys__0 only when not empty.')
param connectionStatePreviousKey string = ''

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      minTlsVersion: '1.2'
      cors: {
        allowedOrigins: corsAllowedOrigins
        supportCredentials: false
      }
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
      runtime: {
        name: 'dotnet-isolated'
        version: '10.0'
      }
    }
  }
}

// Identity-based host storage: the Functions host reaches the account with the managed identity.
var hostSettings = {
  AzureWebJobsStorage__accountName: storageAccountName
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
}

// Optional settings are left out when empty, so the app sees "not configured" rather than "".
var presentOptionalSettings = toObject(
  filter(items(optionalAppSettings), setting => !empty(setting.value)),
  setting => setting.key,
  setting => setting.value
)

resource settings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: functionApp
  name: 'appsettings'
  properties: union(
    hostSettings,
    appSettings,
    presentOptionalSettings,
    empty(authSigningKey) ? {} : { Auth__SigningKey: authSigningKey },
    { ConnectionStateProtection__Key: connectionStateKey },
    empty(connectionStatePreviousKey) ? {} : { ConnectionStateProtection__PreviousKeys__0: connectionStatePreviousKey }
  )
}

output name string = functionApp.name
output defaultHostName string = functionApp.properties.defaultHostName
