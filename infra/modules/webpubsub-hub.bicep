// Hub `restaurant` and its event handler: Web PubSub posts the connect/connected/disconnected
// system events and every user event (`*`) as CloudEvents to the app's HTTP function
// /api/webpubsub. Each request carries a Microsoft Entra ID token that the service gets with its
// system-assigned identity for `eventHandlerAudience`; the app validates it (issuer, audience,
// tenant signing keys, caller object id) and refuses requests without it. The Functions host key
// (`?code=`, read here with listKeys) is also required by the platform, but it is not the boundary. Anonymous connections are allowed because seed-style clients connect first and send
// an `auth` message; the app closes connections that have not authenticated within 10 s.
param webPubSubName string
param hubName string
param functionAppName string
param functionAppHostName string

@description('Resource (token audience) Web PubSub requests its upstream token for; the app expects the same value.')
param eventHandlerAudience string

@description('false: create the hub without an event handler (two-step deployment, see docs/operations.md).')
param configureEventHandler bool = true

resource webPubSub 'Microsoft.SignalRService/webPubSub@2024-03-01' existing = {
  name: webPubSubName
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

// The host keys are not a typed resource in Bicep, so they are read with the listKeys function
// on the host's resource id; the call needs the running Functions host (see docs/operations.md).
var hostKeysId = '${functionApp.id}/host/default'

resource hub 'Microsoft.SignalRService/webPubSub/hubs@2024-03-01' = {
  parent: webPubSub
  name: hubName
  properties: {
    anonymousConnectPolicy: 'allow'
    // ARM evaluates only the taken branch, so listKeys runs only when the handler is wanted.
    eventHandlers: configureEventHandler ? [
      {
        urlTemplate: 'https://${functionAppHostName}/api/webpubsub?code=${listKeys(hostKeysId, functionApp.apiVersion).functionKeys.default}'
        userEventPattern: '*'
        auth: {
          type: 'ManagedIdentity'
          managedIdentity: {
            resource: eventHandlerAudience
          }
        }
        systemEvents: [
          'connect'
          'connected'
          'disconnected'
        ]
      }
    ] : []
  }
}

output name string = hub.name
