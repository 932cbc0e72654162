using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Logging;
using RestaurantOs.Realtime.Contracts;
using RestaurantOs.Realtime.Ports;
using RestaurantOs.Storage.Internal;

namespace RestaurantOs.Storage.Cosmos;

internal sealed class CosmosOrderStore(CosmosContainers containers, StorageMetrics metrics, ILogger<CosmosOrderStore> logger) : IOrderStore
{
    private readonly CosmosDocumentStore<Order> documents = new(containers.Orders, DocumentKinds.Orders, metrics, logger);

    public Task<WriteResult<Order>> CreateAsync(Order order, CancellationToken cancellationToken) =>
        documents.CreateAsync(order, cancellationToken);

    public Task<Order?> GetAsync(Guid restaurantId, Guid orderId, CancellationToken cancellationToken) =>
        documents.GetAsync(restaurantId, orderId, cancellationToken);

    public Task<IReadOnlyList<Order>> ListActiveAsync(Guid restaurantId, CancellationToken cancellationToken) =>
        documents.QueryAsync(
            restaurantId,
            new QueryDefinition("SELECT * FROM c WHERE c.kind = @kind AND NOT ARRAY_CONTAINS(@final, c.status)")
                .WithParameter("@kind", DocumentKinds.Order)
                .WithParameter("@final", DocumentKinds.FinalOrderStatuses),
            cancellationToken);

    public Task<WriteResult<Order>> ReplaceAsync(Order order, int expectedVersion, CancellationToken cancellationToken) =>
        documents.ReplaceAsync(order, expectedVersion, cancellationToken);
}

internal sealed class CosmosTableStore(CosmosContainers containers, StorageMetrics metrics, ILogger<CosmosTableStore> logger) : ITableStore
{
    private readonly CosmosDocumentStore<Table> documents = new(containers.Tables, DocumentKinds.Tables, metrics, logger);

    public Task<Table?> GetAsync(Guid restaurantId, Guid tableId, CancellationToken cancellationToken) =>
        documents.GetAsync(restaurantId, tableId, cancellationToken);

    public async Task<IReadOnlyList<Table>> ListAsync(Guid restaurantId, CancellationToken cancellationToken)
    {
        var tables = await documents.QueryAsync(
            restaurantId,
            new QueryDefinition("SELECT * FROM c WHERE c.kind = @kind").WithParameter("@kind", DocumentKinds.Table),
            cancellationToken).ConfigureAwait(false);
        return TableOrder.Sort(tables);
    }

    public Task<WriteResult<Table>> UpsertAsync(Table table, int? expectedVersion, CancellationToken cancellationToken) =>
        expectedVersion is { } expected
            ? documents.ReplaceAsync(table, expected, cancellationToken)
            : documents.CreateAsync(table, cancellationToken);
}

internal sealed class CosmosPaymentStore(CosmosContainers containers, StorageMetrics metrics, ILogger<CosmosPaymentStore> logger) : IPaymentStore
{
    private readonly CosmosDocumentStore<Payment> documents = new(containers.Payments, DocumentKinds.Payments, metrics, logger);

    public Task<WriteResult<Payment>> CreateAsync(Payment payment, CancellationToken cancellationToken) =>
        documents.CreateAsync(payment, cancellationToken);

    public Task<IReadOnlyList<Payment>> ListForOrderAsync(Guid restaurantId, Guid orderId, CancellationToken cancellationToken) =>
        documents.QueryAsync(
            restaurantId,
            new QueryDefinition("SELECT * FROM c WHERE c.kind = @kind AND c.orderId = @orderId")
                .WithParameter("@kind", DocumentKinds.Payment)
                .WithParameter("@orderId", DocumentKinds.IdText(orderId)),
            cancellationToken);
}

internal sealed class CosmosNotificationStore(CosmosContainers containers, StorageMetrics metrics, ILogger<CosmosNotificationStore> logger) : INotificationStore
{
    private readonly CosmosDocumentStore<Notification> documents = new(containers.Notifications, DocumentKinds.Notifications, metrics, logger);

    public Task<WriteResult<Notification>> CreateAsync(Notification notification, CancellationToken cancellationToken) =>
        documents.CreateAsync(notification, cancellationToken);
}
