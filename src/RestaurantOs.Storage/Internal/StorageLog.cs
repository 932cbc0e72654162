using Microsoft.Extensions.Logging;

namespace RestaurantOs.Storage.Internal;

internal static partial class StorageLog
{
    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "SQLite store ready at {DatabasePath} (WAL)")]
    public static partial void SqliteReady(ILogger logger, string databasePath);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Debug, Message = "Write conflict on {Store} {DocumentId} in restaurant {RestaurantId}: expected version {ExpectedVersion}")]
    public static partial void WriteConflict(ILogger logger, string store, Guid documentId, Guid restaurantId, int? expectedVersion);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Debug, Message = "Appended event {EventId} to restaurant {RestaurantId} history with seq {Seq}")]
    public static partial void EventAppended(ILogger logger, string eventId, Guid restaurantId, long seq);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Debug, Message = "Event {EventId} of restaurant {RestaurantId} is already in history with seq {Seq}")]
    public static partial void EventAlreadyAppended(ILogger logger, string eventId, Guid restaurantId, long seq);

    [LoggerMessage(EventId = 4005, Level = LogLevel.Debug, Message = "Pruned {Count} events of restaurant {RestaurantId} from history")]
    public static partial void HistoryPruned(ILogger logger, Guid restaurantId, int count);

    [LoggerMessage(EventId = 4006, Level = LogLevel.Debug, Message = "Consumer {Consumer} read {Count} changes")]
    public static partial void ChangesRead(ILogger logger, string consumer, int count);

    [LoggerMessage(EventId = 4007, Level = LogLevel.Debug, Message = "Consumer {Consumer} checkpointed at {Continuation}")]
    public static partial void Checkpointed(ILogger logger, string consumer, string continuation);

    [LoggerMessage(EventId = 4008, Level = LogLevel.Warning, Message = "Cosmos DB throttled {Store} {Operation} after SDK retries; retry after {RetryAfterMs} ms")]
    public static partial void Throttled(ILogger logger, string store, string operation, double retryAfterMs);

    [LoggerMessage(EventId = 4009, Level = LogLevel.Information, Message = "Consumer {Consumer} lease is held by {Owner} until {ExpiresAt}; this instance ({Instance}) waits")]
    public static partial void LeaseHeldElsewhere(ILogger logger, string consumer, string owner, DateTimeOffset expiresAt, string instance);

    [LoggerMessage(EventId = 4010, Level = LogLevel.Information, Message = "Consumer {Consumer} lease taken by {Instance}")]
    public static partial void LeaseTaken(ILogger logger, string consumer, string instance);

    [LoggerMessage(EventId = 4011, Level = LogLevel.Debug, Message = "History counter of restaurant {RestaurantId} moved during append of {EventId}; retry {Attempt}")]
    public static partial void CounterRace(ILogger logger, Guid restaurantId, string eventId, int attempt);

    [LoggerMessage(EventId = 4012, Level = LogLevel.Information, Message = "Cosmos database {Database} and containers ensured")]
    public static partial void CosmosContainersEnsured(ILogger logger, string database);

    [LoggerMessage(EventId = 4013, Level = LogLevel.Warning, Message = "Skipped a change-feed document without a valid wrapper in container {Container}: {Reason}")]
    public static partial void SkippedForeignDocument(ILogger logger, string container, string reason);
}
