// Azure Web PubSub with access keys disabled: the app calls the REST API and issues client tokens
// (through the :generateToken API) with its managed identity holding Web PubSub Service Owner.
// The hub and its event handler are in webpubsub-hub.bicep because they need the function app.
param name string
param location string
param tags object

@allowed([
  'Free_F1'
  'Standard_S1'
  'Premium_P1'
])
param sku string = 'Standard_S1'

@allowed([
  1
  2
  5
  10
  20
  50
  100
])
param capacity int = 1

@description('Name of the app\'s user-assigned identity (same resource group).')
param appIdentityName string

@description('Deploying user/principal for local debugging; empty for none.')
param userPrincipalId string = ''

@allowed([
  'User'
  'ServicePrincipal'
  'Group'
])
param userPrincipalType string = 'User'

// Built-in role: Web PubSub Service Owner (full data-plane REST access).
var serviceOwnerRoleId = '12cf5a90-567b-43ae-8102-96cf46c7d9b4'

resource appIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' existing = {
  name: appIdentityName
}

resource webPubSub 'Microsoft.SignalRService/webPubSub@2024-03-01' = {
  name: name
  location: location
  tags: tags
  kind: 'WebPubSub'
  // Its own identity gets the Entra ID token it sends to the event handler (auth.type ManagedIdentity).
  identity: {
    type: 'SystemAssigned'
  }
  sku: {
    name: sku
    tier: split(sku, '_')[0]
    // The Free tier has exactly one unit.
    capacity: sku == 'Free_F1' ? 1 : capacity
  }
  properties: {
    disableLocalAuth: true
    disableAadAuth: false
    publicNetworkAccess: 'Enabled'
    tls: {
      clientCertEnabled: false
    }
  }
}

resource appServiceOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(webPubSub.id, appIdentity.id, serviceOwnerRoleId)
  scope: webPubSub
  properties: {
    principalId: appIdentity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', serviceOwnerRoleId)
  }
}

resource userServiceOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(userPrincipalId)) {
  name: guid(webPubSub.id, userPrincipalId, serviceOwnerRoleId)
  scope: webPubSub
  properties: {
    principalId: userPrincipalId
    principalType: userPrincipalType
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', serviceOwnerRoleId)
  }
}

output name string = webPubSub.name
output hostName string = webPubSub.properties.hostName
output endpoint string = 'https://${webPubSub.properties.hostName}'
@description('Object id of the service\'s system-assigned identity: the only caller the event handler accepts in identity mode.')
output principalId string = webPubSub.identity.principalId
