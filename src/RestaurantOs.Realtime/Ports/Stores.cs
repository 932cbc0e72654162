using RestaurantOs.Realtime.Contracts;

namespace RestaurantOs.Realtime.Ports;

public enum WriteStatus
{
    Ok,
    /// <summary>The document exists already (create) or its version is not the expected one (replace).</summary>
    Conflict,
    NotFound,
}

/// <summary>The outcome of a store write; expected outcomes are values, not exceptions.</summary>
public readonly record struct WriteResult<T>(WriteStatus Status, T? Value)
    where T : class;

public static class WriteResult
{
    public static WriteResult<T> Ok<T>(T value) where T : class => new(WriteStatus.Ok, value);

    public static WriteResult<T> Conflict<T>(T? current = null) where T : class => new(WriteStatus.Conflict, current);

    public static WriteResult<T> NotFound<T>() where T : class => new(WriteStatus.NotFound, null);
}

/// <summary>
/// Orders, partitioned by restaurant. Every committed write is visible to <see cref="IChangeFeed"/>.
/// Implementations enforce optimistic concurrency on <see cref="Order.Version"/>.
/// </summary>
public interface IOrderStore
{
    /// <summary>Inserts a new order (its version must be 1); <see cref="WriteStatus.Conflict"/> when the id exists.</summary>
    Task<WriteResult<Order>> CreateAsync(Order order, CancellationToken cancellationToken);

    Task<Order?> GetAsync(Guid restaurantId, Guid orderId, CancellationToken cancellationToken);

    /// <summary>Orders whose status is not completed or cancelled, oldest first.</summary>
    Task<IReadOnlyList<Order>> ListActiveAsync(Guid restaurantId, CancellationToken cancellationToken);

    /// <summary>
    /// Replaces an order when the stored version equals <paramref name="expectedVersion"/>; the new document's
    /// version must be <c>expectedVersion + 1</c>. Conflict carries the current document.
    /// </summary>
    Task<WriteResult<Order>> ReplaceAsync(Order order, int expectedVersion, CancellationToken cancellationToken);
}

public interface ITableStore
{
    Task<Table?> GetAsync(Guid restaurantId, Guid tableId, CancellationToken cancellationToken);

    Task<IReadOnlyList<Table>> ListAsync(Guid restaurantId, CancellationToken cancellationToken);

    /// <summary>
    /// Creates (when <paramref name="expectedVersion"/> is null and the table does not exist) or replaces
    /// (when the stored version equals it) a table.
    /// </summary>
    Task<WriteResult<Table>> UpsertAsync(Table table, int? expectedVersion, CancellationToken cancellationToken);
}

public interface IPaymentStore
{
    /// <summary>Inserts a payment; <see cref="WriteStatus.Conflict"/> when its id exists (idempotent retries).</summary>
    Task<WriteResult<Payment>> CreateAsync(Payment payment, CancellationToken cancellationToken);

    Task<IReadOnlyList<Payment>> ListForOrderAsync(Guid restaurantId, Guid orderId, CancellationToken cancellationToken);
}

public interface INotificationStore
{
    Task<WriteResult<Notification>> CreateAsync(Notification notification, CancellationToken cancellationToken);
}
