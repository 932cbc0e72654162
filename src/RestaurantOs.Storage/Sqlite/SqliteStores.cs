using Microsoft.Extensions.Logging;
using RestaurantOs.Realtime.Contracts;
using RestaurantOs.Realtime.Ports;
using RestaurantOs.Storage.Internal;

namespace RestaurantOs.Storage.Sqlite;

internal sealed class SqliteOrderStore(SqliteDatabase database, TimeProvider timeProvider, StorageMetrics metrics, ILogger<SqliteOrderStore> logger)
    : IOrderStore
{
    private readonly SqliteDocumentStore<Order> documents = new(database, DocumentKinds.Orders, timeProvider, metrics, logger);

    public Task<WriteResult<Order>> CreateAsync(Order order, CancellationToken cancellationToken) =>
        documents.CreateAsync(order, cancellationToken);

    public Task<Order?> GetAsync(Guid restaurantId, Guid orderId, CancellationToken cancellationToken) =>
        documents.GetAsync(restaurantId, orderId, cancellationToken);

    public Task<IReadOnlyList<Order>> ListActiveAsync(Guid restaurantId, CancellationToken cancellationToken) =>
        documents.ListAsync(
            restaurantId,
            "status NOT IN ($final0, $final1)",
            p =>
            {
                p.AddWithValue("$final0", DocumentKinds.FinalOrderStatuses[0]);
                p.AddWithValue("$final1", DocumentKinds.FinalOrderStatuses[1]);
            },
            cancellationToken);

    public Task<WriteResult<Order>> ReplaceAsync(Order order, int expectedVersion, CancellationToken cancellationToken) =>
        documents.ReplaceAsync(order, expectedVersion, cancellationToken);
}

internal sealed class SqliteTableStore(SqliteDatabase database, TimeProvider timeProvider, StorageMetrics metrics, ILogger<SqliteTableStore> logger)
    : ITableStore
{
    private readonly SqliteDocumentStore<Table> documents = new(database, DocumentKinds.Tables, timeProvider, metrics, logger);

    public Task<Table?> GetAsync(Guid restaurantId, Guid tableId, CancellationToken cancellationToken) =>
        documents.GetAsync(restaurantId, tableId, cancellationToken);

    public async Task<IReadOnlyList<Table>> ListAsync(Guid restaurantId, CancellationToken cancellationToken)
    {
        var tables = await documents.ListAsync(restaurantId, null, null, cancellationToken).ConfigureAwait(false);
        return TableOrder.Sort(tables);
    }

    public Task<WriteResult<Table>> UpsertAsync(Table table, int? expectedVersion, CancellationToken cancellationToken) =>
        expectedVersion is { } expected
            ? documents.ReplaceAsync(table, expected, cancellationToken)
            : documents.CreateAsync(table, cancellationToken);
}

internal sealed class SqlitePaymentStore(SqliteDatabase database, TimeProvider timeProvider, StorageMetrics metrics, ILogger<SqlitePaymentStore> logger)
    : IPaymentStore
{
    private readonly SqliteDocumentStore<Payment> documents = new(database, DocumentKinds.Payments, timeProvider, metrics, logger);

    public Task<WriteResult<Payment>> CreateAsync(Payment payment, CancellationToken cancellationToken) =>
        documents.CreateAsync(payment, cancellationToken);

    public Task<IReadOnlyList<Payment>> ListForOrderAsync(Guid restaurantId, Guid orderId, CancellationToken cancellationToken) =>
        documents.ListAsync(restaurantId, "order_id = $order_id", p => p.AddWithValue("$order_id", DocumentKinds.IdText(orderId)), cancellationToken);
}

internal sealed class SqliteNotificationStore(SqliteDatabase database, TimeProvider timeProvider, StorageMetrics metrics, ILogger<SqliteNotificationStore> logger)
    : INotificationStore
{
    private readonly SqliteDocumentStore<Notification> documents = new(database, DocumentKinds.Notifications, timeProvider, metrics, logger);

    public Task<WriteResult<Notification>> CreateAsync(Notification notification, CancellationToken cancellationToken) =>
        documents.CreateAsync(notification, cancellationToken);
}
