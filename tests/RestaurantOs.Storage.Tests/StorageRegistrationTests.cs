using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using RestaurantOs.Realtime.Ports;
using RestaurantOs.Storage.Cosmos;
using RestaurantOs.Storage.Internal;
using RestaurantOs.Storage.Sqlite;

namespace RestaurantOs.Storage.Tests;

public sealed class StorageRegistrationTests
{
    private const string FakeConnectionString =
        "AccountEndpoint=https://localhost:8081/;AccountKey=C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==;";

    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return new ServiceCollection().AddRestaurantOsStorage(configuration).BuildServiceProvider();
    }

    private static string ValidationMessage<T>(ServiceProvider provider)
        where T : class =>
        Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<T>>().Value).Message;

    /// <summary>The store behind a port the registration wraps in a span per call.</summary>
    private static object Traced(object port)
    {
        Assert.IsAssignableFrom<TracedPort>(port);
        return TracedPort.InnerOf(port);
    }

    [Fact]
    public void Sqlite_is_the_default_with_the_documented_defaults()
    {
        using var provider = Build([]);

        Assert.IsType<SqliteOrderStore>(Traced(provider.GetRequiredService<IOrderStore>()));
        Assert.IsType<SqliteTableStore>(Traced(provider.GetRequiredService<ITableStore>()));
        Assert.IsType<SqlitePaymentStore>(Traced(provider.GetRequiredService<IPaymentStore>()));
        Assert.IsType<SqliteNotificationStore>(Traced(provider.GetRequiredService<INotificationStore>()));
        Assert.IsType<SqliteChangeFeed>(provider.GetRequiredService<IChangeFeed>());
        Assert.IsType<SqliteEventHistory>(Traced(provider.GetRequiredService<IEventHistory>()));
        Assert.IsType<SqliteDatabase>(provider.GetRequiredService<IStoreInitializer>());
        Assert.Equal("./.data/restaurant-os.db", provider.GetRequiredService<IOptions<SqliteStoreOptions>>().Value.Path);
        var history = provider.GetRequiredService<IOptions<HistoryOptions>>().Value;
        Assert.Equal((24, 10_000), (history.RetentionHours, history.MaxEventsPerRestaurant));
    }

    [Fact]
    public void Cosmos_provider_registers_the_cosmos_stores_without_touching_the_network()
    {
        using var provider = Build(new()
        {
            ["Storage:Provider"] = "Cosmos",
            ["Storage:Cosmos:ConnectionString"] = FakeConnectionString,
        });

        Assert.IsType<CosmosOrderStore>(Traced(provider.GetRequiredService<IOrderStore>()));
        Assert.IsType<CosmosChangeFeed>(provider.GetRequiredService<IChangeFeed>());
        Assert.IsType<CosmosEventHistory>(Traced(provider.GetRequiredService<IEventHistory>()));
        Assert.IsType<CosmosStoreInitializer>(provider.GetRequiredService<IStoreInitializer>());
        Assert.Equal("restaurantos", provider.GetRequiredService<CosmosContainers>().DatabaseName);
    }

    [Fact]
    public void An_unknown_provider_fails_with_a_message_naming_the_key()
    {
        using var provider = Build(new() { ["Storage:Provider"] = "postgres" });

        var message = ValidationMessage<StorageOptions>(provider);
        var onUse = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOrderStore>());

        Assert.Contains("Storage:Provider", message, StringComparison.Ordinal);
        Assert.Contains("Storage:Provider", onUse.Message, StringComparison.Ordinal);
        Assert.Contains("'postgres'", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, null, "neither is set")]
    [InlineData("https://a.documents.azure.com:443/", FakeConnectionString, "both are set")]
    [InlineData("http://insecure:8081/", null, "not an https URL")]
    public void Cosmos_options_need_exactly_one_way_to_connect(string? endpoint, string? connectionString, string expected)
    {
        using var provider = Build(new()
        {
            ["Storage:Provider"] = "cosmos",
            ["Storage:Cosmos:AccountEndpoint"] = endpoint,
            ["Storage:Cosmos:ConnectionString"] = connectionString,
        });

        var message = ValidationMessage<CosmosStoreOptions>(provider);

        Assert.Contains(expected, message, StringComparison.Ordinal);
        Assert.Contains("Storage:Cosmos:", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Storage:History:RetentionHours", "0")]
    [InlineData("Storage:History:MaxEventsPerRestaurant", "0")]
    public void History_bounds_must_be_positive(string key, string value)
    {
        using var provider = Build(new() { [key] = value });

        Assert.Contains(key, ValidationMessage<HistoryOptions>(provider), StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_sqlite_path_fails_with_a_message_naming_the_key()
    {
        using var provider = Build(new() { ["Storage:Sqlite:Path"] = " " });

        Assert.Contains("Storage:Sqlite:Path", ValidationMessage<SqliteStoreOptions>(provider), StringComparison.Ordinal);
    }
}
