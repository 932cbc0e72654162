// Cosmos DB for NoSQL holding orders, tables, payments, notifications, the event history and the
// change-feed checkpoints. Every container is partitioned by /restaurantId: one restaurant's
// documents share a logical partition, which keeps per-restaurant queries single-partition and
// lets the event writer update the restaurant's seq counter and the event in one transactional
// batch. Local (key) auth is off; the app uses the Cosmos DB Built-in Data Contributor role.
param name string
param location string
param tags object
param databaseName string

@description('true: serverless capacity mode; false: provisioned autoscale throughput on the database.')
param serverless bool = true

@minValue(1000)
@maxValue(1000000)
param autoscaleMaxThroughput int = 1000

@minValue(3600)
@description('defaultTtl (seconds) of the `events` container: the reach of resume/replay.')
param eventHistoryTtlSeconds int = 86400

@description('Name of the app\'s user-assigned identity (same resource group).')
param appIdentityName string

@description('Deploying user/principal for local debugging; empty for none.')
param userPrincipalId string = ''

// Built-in Cosmos DB data-plane role (SQL role definition, not an Azure RBAC role):
// Cosmos DB Built-in Data Contributor.
var dataContributorRoleDefinitionId = '00000000-0000-0000-0000-000000000002'

// -1 on `events` would mean "TTL on, no default"; `presence` expires after a day; every other container keeps documents until
// the app deletes them (no defaultTtl property at all).
var containers = [
  {
    name: 'orders'
    defaultTtl: null
  }
  {
    name: 'tables'
    defaultTtl: null
  }
  {
    name: 'payments'
    defaultTtl: null
  }
  {
    name: 'notifications'
    defaultTtl: null
  }
  {
    name: 'events'
    defaultTtl: eventHistoryTtlSeconds
  }
  {
    name: 'leases'
    defaultTtl: null
  }
  {
    // Station presence: an entry nobody writes for a day expires by itself.
    name: 'presence'
    defaultTtl: 86400
  }
]

resource appIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' existing = {
  name: appIdentityName
}

resource account 'Microsoft.DocumentDB/databaseAccounts@2024-11-15' = {
  name: name
  location: location
  tags: tags
  kind: 'GlobalDocumentDB'
  properties: {
    databaseAccountOfferType: 'Standard'
    locations: [
      {
        locationName: location
        failoverPriority: 0
        isZoneRedundant: false
      }
    ]
    consistencyPolicy: {
      defaultConsistencyLevel: 'Session'
    }
    capabilities: serverless ? [
      {
        name: 'EnableServerless'
      }
    ] : []
    disableLocalAuth: true
    disableKeyBasedMetadataWriteAccess: true
    minimalTlsVersion: 'Tls12'
    publicNetworkAccess: 'Enabled'
  }
}

resource database 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases@2024-11-15' = {
  parent: account
  name: databaseName
  properties: {
    resource: {
      id: databaseName
    }
    // Serverless accounts reject any throughput setting.
    options: serverless ? {} : {
      autoscaleSettings: {
        maxThroughput: autoscaleMaxThroughput
      }
    }
  }
}

resource sqlContainers 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers@2024-11-15' = [
  for container in containers: {
    parent: database
    name: container.name
    properties: {
      resource: union(
        {
          id: container.name
          partitionKey: {
            paths: [
              '/restaurantId'
            ]
            kind: 'Hash'
            version: 2
          }
        },
        container.defaultTtl == null ? {} : { defaultTtl: container.defaultTtl }
      )
    }
  }
]

resource appDataContributor 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments@2024-11-15' = {
  parent: account
  name: guid(account.id, appIdentity.id, dataContributorRoleDefinitionId)
  properties: {
    principalId: appIdentity.properties.principalId
    roleDefinitionId: '${account.id}/sqlRoleDefinitions/${dataContributorRoleDefinitionId}'
    scope: account.id
  }
}

resource userDataContributor 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments@2024-11-15' = if (!empty(userPrincipalId)) {
  parent: account
  name: guid(account.id, userPrincipalId, dataContributorRoleDefinitionId)
  properties: {
    principalId: userPrincipalId
    roleDefinitionId: '${account.id}/sqlRoleDefinitions/${dataContributorRoleDefinitionId}'
    scope: account.id
  }
}

output name string = account.name
output endpoint string = account.properties.documentEndpoint
