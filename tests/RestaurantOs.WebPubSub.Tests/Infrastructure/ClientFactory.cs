using Azure.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using RestaurantOs.WebPubSub.Client;

namespace RestaurantOs.WebPubSub.Tests.Infrastructure;

internal static class ClientFactory
{
    public const string AccessKey = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH";

    /// <summary>Builds the client the production way (AddWebPubSubServiceClient over configuration).</summary>
    public static ServiceProvider Build(Uri endpoint, Action<Dictionary<string, string?>>? configure = null, TokenCredential? credential = null, bool withKey = true, TimeProvider? timeProvider = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["WebPubSub:Hub"] = "restaurant",
            ["WebPubSub:RetryBaseDelay"] = "00:00:00.010",
            ["WebPubSub:MaxRetryDelay"] = "00:00:02",
            ["WebPubSub:AttemptTimeout"] = "00:00:05",
        };
        if (withKey)
        {
            settings["WebPubSub:ConnectionString"] = $"Endpoint={endpoint.GetLeftPart(UriPartial.Authority)};AccessKey={AccessKey};Version=1.0;";
        }
        else
        {
            settings["WebPubSub:Endpoint"] = endpoint.GetLeftPart(UriPartial.Authority);
        }

        configure?.Invoke(settings);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        if (credential is not null)
        {
            services.AddSingleton(credential);
        }

        if (timeProvider is not null)
        {
            services.AddSingleton(timeProvider);
        }

        services.AddWebPubSubServiceClient(configuration);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }
}

/// <summary>A credential that counts calls; the Entra ID edge that cannot run here.</summary>
internal sealed class CountingCredential(string token, TimeSpan lifetime, TimeProvider? time = null) : TokenCredential
{
    private int _calls;

    public int Calls => Volatile.Read(ref _calls);

    public IReadOnlyList<string>? LastScopes { get; private set; }

    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        LastScopes = requestContext.Scopes;
        return new AccessToken(token + "-" + Calls, (time ?? TimeProvider.System).GetUtcNow() + lifetime);
    }

    public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        ValueTask.FromResult(GetToken(requestContext, cancellationToken));
}
