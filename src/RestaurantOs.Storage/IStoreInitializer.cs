namespace RestaurantOs.Storage;

/// <summary>
/// Creates what the stores need: the SQLite schema, or (when <c>Storage:Cosmos:CreateIfNotExists</c> is on) the
/// Cosmos database and containers. Idempotent and safe to call more than once, also concurrently; stores also
/// initialize lazily on first use, so calling it at start only moves the cost and surfaces errors early.
/// </summary>
public interface IStoreInitializer
{
    Task InitializeAsync(CancellationToken ct);
}
