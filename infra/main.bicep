// Restaurant OS Realtime: everything `azd up` provisions.
// Subscription scope so azd can create the resource group `rg-<environmentName>` itself.
// Every connection between resources uses the one user-assigned managed identity: key-based auth is
// disabled on Storage, Cosmos DB, Web PubSub and Application Insights ingestion, so no key is used.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name; names the resource group and seeds the resource token.')
param environmentName string

@minLength(1)
@description('Azure region for every resource (must offer Flex Consumption, Web PubSub and Cosmos DB serverless).')
param location string

@description('Object id of the deploying user or principal (azd sets AZURE_PRINCIPAL_ID). When set, it receives the app\'s data-plane roles on Cosmos DB, Web PubSub and Storage, for debugging against Azure from a workstation. Empty: none.')
param principalId string = ''

@allowed([
  'User'
  'ServicePrincipal'
  'Group'
])
@description('Kind of principal behind principalId (ServicePrincipal for CI pipelines).')
param principalType string = 'User'

// ---------------------------------------------------------------------------------------------
// Web PubSub
// ---------------------------------------------------------------------------------------------
@allowed([
  'Free_F1'
  'Standard_S1'
  'Premium_P1'
])
@description('Web PubSub SKU. Standard_S1: 1,000 concurrent connections and 1M outbound messages per unit per day. Free_F1 (20 connections, 1 unit) is for trials only.')
param webPubSubSku string = 'Standard_S1'

@allowed([
  1
  2
  5
  10
  20
  50
  100
])
@description('Web PubSub units (Free_F1 allows only 1).')
param webPubSubCapacity int = 1

@description('Register the Web PubSub event handler (needs the Functions host key, read with listKeys). Set false for a two-step deployment; see docs/operations.md.')
param configureWebPubSubEventHandler bool = true

// ---------------------------------------------------------------------------------------------
// Cosmos DB
// ---------------------------------------------------------------------------------------------
@description('true: Cosmos DB serverless (pay per RU, no minimum). false: provisioned autoscale throughput shared by the database.')
param cosmosServerless bool = true

@minValue(1000)
@maxValue(1000000)
@description('Autoscale maximum RU/s for the shared database throughput; used only when cosmosServerless is false.')
param cosmosAutoscaleMaxThroughput int = 1000

@minValue(3600)
@description('Time-to-live in seconds of event-history documents (container `events`). Also sets Storage__History__RetentionHours (rounded down to whole hours).')
param eventHistoryTtlSeconds int = 86400

// ---------------------------------------------------------------------------------------------
// Function app (Flex Consumption)
// ---------------------------------------------------------------------------------------------
@allowed([
  512
  2048
  4096
])
@description('Flex Consumption instance memory in MB.')
param functionInstanceMemoryMB int = 2048

@minValue(1)
@maxValue(1000)
@description('Upper bound on Flex Consumption instances (a cost ceiling).')
param functionMaximumInstanceCount int = 100

@description('Comma-separated origins allowed to call the HTTP API from a browser (e.g. https://pos.example.com). Empty: no CORS headers.')
param corsAllowedOrigins string = ''

@description('Six-field NCRONTAB schedule of the KDS batching timer.')
param kdsSchedule string = '*/2 * * * * *'

@description('Six-field NCRONTAB schedule of the change-feed safety-net timer (HTTP writes publish at once through the in-process pump; this catches changes it did not see).')
param changeFeedSchedule string = '*/10 * * * * *'

@description('Six-field NCRONTAB schedule of the timer that closes connections still unauthenticated after the grace period (Auth:AuthGraceSeconds, 10 s).')
param authGraceSchedule string = '*/2 * * * * *'

@description('Six-field NCRONTAB schedule of the presence timer: raises station alerts for KDS screens gone longer than the grace (Presence:Grace, 30 s) and for screens that stopped acknowledging.')
param presenceSchedule string = '*/4 * * * * *'

// ---------------------------------------------------------------------------------------------
// App authentication (JWTs issued by your identity provider)
// ---------------------------------------------------------------------------------------------
@description('Expected JWT issuer (iss), e.g. https://<project>.supabase.co/auth/v1 or https://login.microsoftonline.com/<tenant>/v2.0.')
param authIssuer string = ''

@description('Expected JWT audience (aud), e.g. authenticated (Supabase) or api://restaurant-os.')
param authAudience string = ''

@description('OpenID Connect authority; signing keys come from its discovery document. Preferred: nothing secret to store or rotate.')
param authAuthority string = ''

@description('Explicit JWKS URL, when the issuer has no discovery document.')
param authJwksUrl string = ''

@secure()
@description('HS256 shared secret (Supabase-style tokens). Optional; leave empty when an authority or JWKS URL is used.')
param authSigningKey string = ''

// ---------------------------------------------------------------------------------------------
// Event handler security (docs/operations.md, "Security of the event handler")
// ---------------------------------------------------------------------------------------------
@secure()
@minLength(44)
@description('Key that authenticates the Web PubSub connection state (the caller\'s identity): base64 of 32 random bytes, e.g. azd env set CONNECTION_STATE_KEY "$(openssl rand -base64 32)". Required.')
param connectionStateKey string

@secure()
@description('The previous connection-state key, kept during a rotation overlap (at least the longest connection lifetime); empty when not rotating.')
param connectionStatePreviousKey string = ''

@description('Audience (resource) of the Entra ID token Web PubSub sends to the event handler. Empty: the client id of the app\'s managed identity (no app registration needed). Or an app registration\'s Application ID URI, e.g. api://restaurant-os-upstream.')
param eventHandlerTokenAudience string = ''

// ---------------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------------
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}
// Must equal the service name in azure.yaml: azd finds the deployment target by this tag.
var functionsServiceName = 'functions'
var functionAppName = 'func-${resourceToken}'
var hubName = 'restaurant'
var databaseName = 'restaurantos'
var eventHandlerAudience = empty(eventHandlerTokenAudience) ? identity.outputs.clientId : eventHandlerTokenAudience
var tenantAuthority = '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
var identityName = 'id-${resourceToken}'
var webPubSubName = 'wps-${resourceToken}'

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: identityName
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: 'log-${resourceToken}'
    applicationInsightsName: 'appi-${resourceToken}'
    location: location
    tags: tags
    appIdentityName: identityName
  }
  // The role assignments read the identity's principal id; it must exist first.
  dependsOn: [
    identity
  ]
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: 'st${resourceToken}'
    location: location
    tags: tags
    deploymentContainerName: 'app-package-${functionAppName}'
    appIdentityName: identityName
    userPrincipalId: principalId
    userPrincipalType: principalType
  }
  // The role assignments read the identity's principal id; it must exist first.
  dependsOn: [
    identity
  ]
}

module cosmos 'modules/cosmos.bicep' = {
  name: 'cosmos'
  scope: rg
  params: {
    name: 'cosmos-${resourceToken}'
    location: location
    tags: tags
    databaseName: databaseName
    serverless: cosmosServerless
    autoscaleMaxThroughput: cosmosAutoscaleMaxThroughput
    eventHistoryTtlSeconds: eventHistoryTtlSeconds
    appIdentityName: identityName
    userPrincipalId: principalId
  }
  // The role assignments read the identity's principal id; it must exist first.
  dependsOn: [
    identity
  ]
}

module webPubSub 'modules/webpubsub.bicep' = {
  name: 'webpubsub'
  scope: rg
  params: {
    name: webPubSubName
    location: location
    tags: tags
    sku: webPubSubSku
    capacity: webPubSubCapacity
    appIdentityName: identityName
    userPrincipalId: principalId
    userPrincipalType: principalType
  }
  // The role assignments read the identity's principal id; it must exist first.
  dependsOn: [
    identity
  ]
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  scope: rg
  params: {
    name: functionAppName
    planName: 'plan-${resourceToken}'
    location: location
    tags: union(tags, { 'azd-service-name': functionsServiceName })
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    instanceMemoryMB: functionInstanceMemoryMB
    maximumInstanceCount: functionMaximumInstanceCount
    corsAllowedOrigins: empty(corsAllowedOrigins) ? [] : map(split(corsAllowedOrigins, ','), origin => trim(origin))
    appSettings: {
      APPLICATIONINSIGHTS_CONNECTION_STRING: monitoring.outputs.connectionString
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identity.outputs.clientId};Authorization=AAD'
      AZURE_CLIENT_ID: identity.outputs.clientId
      WebPubSub__Endpoint: webPubSub.outputs.endpoint
      WebPubSub__Hub: hubName
      WebPubSub__ManagedIdentityClientId: identity.outputs.clientId
      Storage__Provider: 'cosmos'
      Storage__Cosmos__AccountEndpoint: cosmos.outputs.endpoint
      Storage__Cosmos__Database: databaseName
      Storage__Cosmos__ManagedIdentityClientId: identity.outputs.clientId
      Storage__History__RetentionHours: string(eventHistoryTtlSeconds / 3600)
      Auth__Issuer: authIssuer
      Auth__Audience: authAudience
      KdsSchedule: kdsSchedule
      ChangeFeedSchedule: changeFeedSchedule
      AuthGraceSchedule: authGraceSchedule
      PresenceSchedule: presenceSchedule
      // Identity mode: no access key, so every upstream request must carry Web PubSub's Entra ID token.
      WebPubSub__Upstream__Token__Authority: tenantAuthority
      WebPubSub__Upstream__Token__Audience: eventHandlerAudience
      WebPubSub__Upstream__Token__Issuers__0: 'https://sts.windows.net/${tenant().tenantId}/'
      WebPubSub__Upstream__Token__Issuers__1: tenantAuthority
      WebPubSub__Upstream__Token__AllowedCallerObjectIds__0: webPubSub.outputs.principalId
    }
    optionalAppSettings: {
      Auth__Authority: authAuthority
      Auth__JwksUrl: authJwksUrl
    }
    authSigningKey: authSigningKey
    connectionStateKey: connectionStateKey
    connectionStatePreviousKey: connectionStatePreviousKey
  }
}

module webPubSubHub 'modules/webpubsub-hub.bicep' = {
  name: 'webpubsub-hub'
  scope: rg
  params: {
    webPubSubName: webPubSubName
    hubName: hubName
    functionAppName: functionAppName
    functionAppHostName: functionApp.outputs.defaultHostName
    eventHandlerAudience: eventHandlerAudience
    configureEventHandler: configureWebPubSubEventHandler
  }
}

// Values azd stores in .azure/<env>/.env (read them with `azd env get-values`).
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_CLIENT_ID string = identity.outputs.clientId
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output SERVICE_FUNCTIONS_NAME string = functionApp.outputs.name
output SERVICE_FUNCTIONS_URI string = 'https://${functionApp.outputs.defaultHostName}'
output SERVICE_FUNCTIONS_NEGOTIATE_URL string = 'https://${functionApp.outputs.defaultHostName}/api/negotiate'
output WEBPUBSUB_ENDPOINT string = webPubSub.outputs.endpoint
output WEBPUBSUB_HUB string = hubName
output WEBPUBSUB_CLIENT_URL string = 'wss://${webPubSub.outputs.hostName}/client/hubs/${hubName}'
output COSMOS_ENDPOINT string = cosmos.outputs.endpoint
output COSMOS_DATABASE string = databaseName
output APPLICATIONINSIGHTS_CONNECTION_STRING string = monitoring.outputs.connectionString
