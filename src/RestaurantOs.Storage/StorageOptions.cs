using Microsoft.Extensions.Options;

namespace RestaurantOs.Storage;

/// <summary>Which store implementation backs the Realtime ports (<c>Storage:Provider</c>).</summary>
public sealed class StorageOptions
{
    public const string SectionName = "Storage";

    public const string Sqlite = "sqlite";
    public const string Cosmos = "cosmos";

    /// <summary><c>sqlite</c> (default, embedded) or <c>cosmos</c> (production).</summary>
    public string Provider { get; set; } = Sqlite;
}

/// <summary>The embedded SQLite store (<c>Storage:Sqlite</c>).</summary>
public sealed class SqliteStoreOptions
{
    public const string SectionName = "Storage:Sqlite";

    /// <summary>The database file; its folder is created when missing.</summary>
    public string Path { get; set; } = "./.data/restaurant-os.db";

    /// <summary>How long a write waits for a lock held by another process before failing.</summary>
    public int BusyTimeoutMilliseconds { get; set; } = 5000;
}

/// <summary>The Cosmos DB store (<c>Storage:Cosmos</c>).</summary>
public sealed class CosmosStoreOptions
{
    public const string SectionName = "Storage:Cosmos";

    /// <summary>Account endpoint, used with a token credential (managed identity in Azure).</summary>
    public string? AccountEndpoint { get; set; }

    /// <summary>Key-based connection string for local use; takes the place of <see cref="AccountEndpoint"/>.</summary>
    public string? ConnectionString { get; set; }

    public string Database { get; set; } = "restaurantos";

    /// <summary>Client id of a user-assigned managed identity; empty for the system-assigned one or developer credentials.</summary>
    public string? ManagedIdentityClientId { get; set; }

    /// <summary>Create the database and containers at start (off in Azure, where Bicep creates them).</summary>
    public bool CreateIfNotExists { get; set; }

    /// <summary>How often the SDK retries a throttled (429) request before the store reports it.</summary>
    public int MaxRetryAttemptsOnRateLimitedRequests { get; set; } = 9;

    /// <summary>The total time the SDK may spend retrying throttled requests.</summary>
    public int MaxRetryWaitTimeOnRateLimitedRequestsSeconds { get; set; } = 30;

    /// <summary>
    /// <c>Direct</c> (default: TCP to the replicas, lowest latency, needs outbound ports 10250-20000) or
    /// <c>Gateway</c> (HTTPS 443 only; for locked-down networks and for emulators).
    /// </summary>
    public string ConnectionMode { get; set; } = Direct;

    /// <summary>Talk only to the endpoint given, not to the account's other regions (emulators and proxies need this).</summary>
    public bool LimitToEndpoint { get; set; }

    public const string Direct = "Direct";
    public const string Gateway = "Gateway";

    internal Microsoft.Azure.Cosmos.ConnectionMode ParsedConnectionMode =>
        string.Equals(ConnectionMode?.Trim(), Gateway, StringComparison.OrdinalIgnoreCase)
            ? Microsoft.Azure.Cosmos.ConnectionMode.Gateway
            : Microsoft.Azure.Cosmos.ConnectionMode.Direct;
}

/// <summary>Change-feed leases, shared by every instance reading the feed (<c>Storage:ChangeFeed</c>).</summary>
public sealed class ChangeFeedOptions
{
    public const string SectionName = "Storage:ChangeFeed";

    /// <summary>
    /// How long a lease lasts without renewal; after a crash, the others take the crashed instance's ranges after
    /// this long. Renewed every third of it.
    /// </summary>
    public int LeaseDurationSeconds { get; set; } = 15;

    /// <summary>
    /// How often an instance that holds less than its share looks for free leases; after a graceful stop, the
    /// next instance reads within about this long.
    /// </summary>
    public int LeaseAcquireIntervalMilliseconds { get; set; } = 1000;
}

/// <summary>Bounds of the per-restaurant event history (<c>Storage:History</c>).</summary>
public sealed class HistoryOptions
{
    public const string SectionName = "Storage:History";

    public int RetentionHours { get; set; } = 24;

    public int MaxEventsPerRestaurant { get; set; } = 10_000;

    internal TimeSpan Retention => TimeSpan.FromHours(RetentionHours);
}

internal sealed class StorageOptionsValidator : IValidateOptions<StorageOptions>
{
    public ValidateOptionsResult Validate(string? name, StorageOptions options)
    {
        var provider = options.Provider?.Trim();
        return string.Equals(provider, StorageOptions.Sqlite, StringComparison.OrdinalIgnoreCase)
            || string.Equals(provider, StorageOptions.Cosmos, StringComparison.OrdinalIgnoreCase)
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(
                $"Storage:Provider is '{options.Provider}'; set it to 'sqlite' (embedded, default) or 'cosmos' " +
                "(in appsettings.json, or the environment variable Storage__Provider).");
    }
}

internal sealed class SqliteStoreOptionsValidator : IValidateOptions<SqliteStoreOptions>
{
    public ValidateOptionsResult Validate(string? name, SqliteStoreOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.Path))
        {
            failures.Add("Storage:Sqlite:Path is empty; set it to a database file such as ./.data/restaurant-os.db (environment variable Storage__Sqlite__Path).");
        }
        else if (options.Path.IndexOfAny(System.IO.Path.GetInvalidPathChars()) >= 0)
        {
            failures.Add($"Storage:Sqlite:Path '{options.Path}' contains characters that are not valid in a path.");
        }

        if (options.BusyTimeoutMilliseconds is < 0 or > 600_000)
        {
            failures.Add($"Storage:Sqlite:BusyTimeoutMilliseconds is {options.BusyTimeoutMilliseconds}; use 0..600000.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

internal sealed class CosmosStoreOptionsValidator : IValidateOptions<CosmosStoreOptions>
{
    public ValidateOptionsResult Validate(string? name, CosmosStoreOptions options)
    {
        var failures = new List<string>();
        var hasEndpoint = !string.IsNullOrWhiteSpace(options.AccountEndpoint);
        var hasConnectionString = !string.IsNullOrWhiteSpace(options.ConnectionString);
        if (hasEndpoint == hasConnectionString)
        {
            failures.Add(
                "Set exactly one of Storage:Cosmos:AccountEndpoint (Azure, with managed identity; environment variable " +
                "Storage__Cosmos__AccountEndpoint) or Storage:Cosmos:ConnectionString (local, key-based; Storage__Cosmos__ConnectionString)" +
                (hasEndpoint ? "; both are set." : "; neither is set."));
        }

        if (hasEndpoint && !(Uri.TryCreate(options.AccountEndpoint, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttps))
        {
            failures.Add($"Storage:Cosmos:AccountEndpoint '{options.AccountEndpoint}' is not an https URL such as https://myaccount.documents.azure.com:443/.");
        }

        if (hasConnectionString && !options.ConnectionString!.Contains("AccountEndpoint=", StringComparison.OrdinalIgnoreCase))
        {
            failures.Add("Storage:Cosmos:ConnectionString has no AccountEndpoint=...; copy the full connection string (AccountEndpoint=...;AccountKey=...;).");
        }

        if (string.IsNullOrWhiteSpace(options.Database))
        {
            failures.Add("Storage:Cosmos:Database is empty; set the database name (default 'restaurantos').");
        }

        if (options.MaxRetryAttemptsOnRateLimitedRequests is < 0 or > 100)
        {
            failures.Add($"Storage:Cosmos:MaxRetryAttemptsOnRateLimitedRequests is {options.MaxRetryAttemptsOnRateLimitedRequests}; use 0..100.");
        }

        if (options.MaxRetryWaitTimeOnRateLimitedRequestsSeconds is < 0 or > 600)
        {
            failures.Add($"Storage:Cosmos:MaxRetryWaitTimeOnRateLimitedRequestsSeconds is {options.MaxRetryWaitTimeOnRateLimitedRequestsSeconds}; use 0..600.");
        }

        var mode = options.ConnectionMode?.Trim();
        if (!string.Equals(mode, CosmosStoreOptions.Direct, StringComparison.OrdinalIgnoreCase)
            && !string.Equals(mode, CosmosStoreOptions.Gateway, StringComparison.OrdinalIgnoreCase))
        {
            failures.Add($"Storage:Cosmos:ConnectionMode is '{options.ConnectionMode}'; use Direct (default) or Gateway (environment variable Storage__Cosmos__ConnectionMode).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

internal sealed class ChangeFeedOptionsValidator : IValidateOptions<ChangeFeedOptions>
{
    public ValidateOptionsResult Validate(string? name, ChangeFeedOptions options)
    {
        var failures = new List<string>();
        if (options.LeaseDurationSeconds is < 3 or > 3600)
        {
            failures.Add($"Storage:ChangeFeed:LeaseDurationSeconds is {options.LeaseDurationSeconds}; use 3..3600 (default 15).");
        }

        if (options.LeaseAcquireIntervalMilliseconds < 100 || options.LeaseAcquireIntervalMilliseconds > options.LeaseDurationSeconds * 1000L)
        {
            failures.Add(
                $"Storage:ChangeFeed:LeaseAcquireIntervalMilliseconds is {options.LeaseAcquireIntervalMilliseconds}; " +
                "use 100 up to the lease duration (default 1000).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

internal sealed class HistoryOptionsValidator : IValidateOptions<HistoryOptions>
{
    public ValidateOptionsResult Validate(string? name, HistoryOptions options)
    {
        var failures = new List<string>();
        if (options.RetentionHours is < 1 or > 24 * 30)
        {
            failures.Add($"Storage:History:RetentionHours is {options.RetentionHours}; use 1..720 (default 24).");
        }

        if (options.MaxEventsPerRestaurant is < 1 or > 1_000_000)
        {
            failures.Add($"Storage:History:MaxEventsPerRestaurant is {options.MaxEventsPerRestaurant}; use 1..1000000 (default 10000).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
