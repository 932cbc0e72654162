// The one identity the function app uses for every Azure data plane (Storage, Cosmos DB,
// Web PubSub, Application Insights ingestion). User-assigned so its client id is known at
// deployment time and can go into app settings before the app exists.
param name string
param location string
param tags object

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

output id string = identity.id
output name string = identity.name
output clientId string = identity.properties.clientId
output principalId string = identity.properties.principalId
