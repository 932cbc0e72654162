using RestaurantOs.WebPubSub.Protocol;

namespace RestaurantOs.Emulator.Tests.Infrastructure;

/// <summary>
/// A real Azure Web PubSub resource from <c>WEBPUBSUB_CONNECTION_STRING</c> (hub from <c>WEBPUBSUB_HUB</c>,
/// default <c>conformance</c>, which should have no event handlers). Unset → every test using it is skipped.
/// </summary>
public sealed class AzureTarget : IServiceTarget
{
    public const string ConnectionStringVariable = "WEBPUBSUB_CONNECTION_STRING";

    private readonly WebPubSubConnectionString? _connectionString =
        Environment.GetEnvironmentVariable(ConnectionStringVariable) is { Length: > 0 } value ? WebPubSubConnectionString.Parse(value) : null;

    public bool IsConfigured => _connectionString is not null;

    public Uri Endpoint => Require().Endpoint;

    public string AccessKey => Require().AccessKey ?? throw new InvalidOperationException($"{ConnectionStringVariable} has no AccessKey; the suite signs tokens with it.");

    public string Hub => Environment.GetEnvironmentVariable("WEBPUBSUB_HUB") is { Length: > 0 } hub ? hub : "conformance";

    public bool IsEmulator => false;

    private WebPubSubConnectionString Require()
    {
        if (_connectionString is null)
        {
            Assert.Skip($"{ConnectionStringVariable} not set");
        }

        return _connectionString;
    }
}
