using Azure.Identity;
using Microsoft.Azure.Cosmos;

namespace RestaurantOs.Storage.Cosmos;

/// <summary>The Cosmos containers the stores use (all partitioned by <c>/restaurantId</c>) and the client that owns them.</summary>
internal sealed class CosmosContainers : IDisposable
{
    public const string PartitionKeyPath = "/restaurantId";
    public const string OrdersName = "orders";
    public const string TablesName = "tables";
    public const string PaymentsName = "payments";
    public const string NotificationsName = "notifications";
    public const string EventsName = "events";
    public const string LeasesName = "leases";
    public const string PresenceName = "presence";

    /// <summary>The document containers whose change feeds <see cref="CosmosChangeFeed"/> reads.</summary>
    public static readonly string[] DocumentContainerNames = [OrdersName, TablesName, PaymentsName, NotificationsName];

    public CosmosContainers(
        Container orders, Container tables, Container payments, Container notifications, Container events, Container leases,
        CosmosClient? client = null, string? databaseName = null, Container? presence = null)
    {
        Orders = orders;
        Tables = tables;
        Payments = payments;
        Notifications = notifications;
        Events = events;
        Leases = leases;
        presenceContainer = presence;
        Client = client;
        DatabaseName = databaseName;
    }

    public Container Orders { get; }

    public Container Tables { get; }

    public Container Payments { get; }

    public Container Notifications { get; }

    public Container Events { get; }

    public Container Leases { get; }

    private readonly Container? presenceContainer;

    /// <summary>Presence entries (not a document container: no change feed reads it).</summary>
    public Container Presence => presenceContainer ?? throw new InvalidOperationException("No presence container was given.");

    public CosmosClient? Client { get; }

    public string? DatabaseName { get; }

    public Container ByName(string name) => name switch
    {
        OrdersName => Orders,
        TablesName => Tables,
        PaymentsName => Payments,
        NotificationsName => Notifications,
        EventsName => Events,
        LeasesName => Leases,
        PresenceName => Presence,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "Unknown container."),
    };

    /// <param name="options">The validated <c>Storage:Cosmos</c> options.</param>
    /// <param name="configure">Last changes to the client options (tests: an HTTP client for a local server).</param>
    public static CosmosContainers Create(CosmosStoreOptions options, Action<CosmosClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var clientOptions = new CosmosClientOptions
        {
            ApplicationName = "restaurant-os-realtime",
            // Our documents never go through the SDK's Newtonsoft serializer: stores use the stream APIs with the
            // source-generated System.Text.Json contract; this serializer covers the few values the SDK itself
            // serializes (query parameters).
            Serializer = new CosmosSystemTextJsonSerializer(),
            // The SDK retries 429s itself, honouring the service's retry-after; what is left surfaces as
            // StoreThrottledException.
            MaxRetryAttemptsOnRateLimitedRequests = options.MaxRetryAttemptsOnRateLimitedRequests,
            MaxRetryWaitTimeOnRateLimitedRequests = TimeSpan.FromSeconds(options.MaxRetryWaitTimeOnRateLimitedRequestsSeconds),
            // Writes return no body: the stores already hold the document they wrote.
            EnableContentResponseOnWrite = false,
            ConnectionMode = options.ParsedConnectionMode,
            LimitToEndpoint = options.LimitToEndpoint,
        };
        configure?.Invoke(clientOptions);

        CosmosClient client;
        if (!string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            client = new CosmosClient(options.ConnectionString, clientOptions);
        }
        else
        {
            var credential = new DefaultAzureCredential(new DefaultAzureCredentialOptions
            {
                ManagedIdentityClientId = string.IsNullOrWhiteSpace(options.ManagedIdentityClientId) ? null : options.ManagedIdentityClientId,
            });
            client = new CosmosClient(options.AccountEndpoint, credential, clientOptions);
        }

        return new CosmosContainers(
            client.GetContainer(options.Database, OrdersName),
            client.GetContainer(options.Database, TablesName),
            client.GetContainer(options.Database, PaymentsName),
            client.GetContainer(options.Database, NotificationsName),
            client.GetContainer(options.Database, EventsName),
            client.GetContainer(options.Database, LeasesName),
            client,
            options.Database,
            client.GetContainer(options.Database, PresenceName));
    }

    public void Dispose() => Client?.Dispose();
}
