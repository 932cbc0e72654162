namespace RestaurantOs.Storage;

/// <summary>
/// The database kept rejecting a request for lack of capacity (Cosmos DB 429) after the SDK's own retries.
/// Nothing was written. Callers should answer 503 with <see cref="RetryAfter"/> or retry later.
/// </summary>
public sealed class StoreThrottledException : Exception
{
    public StoreThrottledException()
    {
    }

    public StoreThrottledException(string message)
        : base(message)
    {
    }

    public StoreThrottledException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public StoreThrottledException(string message, TimeSpan? retryAfter)
        : base(message) => RetryAfter = retryAfter;

    /// <summary>The service's hint for when to try again, when it gave one.</summary>
    public TimeSpan? RetryAfter { get; }
}
