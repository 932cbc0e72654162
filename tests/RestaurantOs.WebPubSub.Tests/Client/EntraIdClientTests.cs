using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using RestaurantOs.WebPubSub.Client;
using RestaurantOs.WebPubSub.Protocol;
using RestaurantOs.WebPubSub.Tests.Infrastructure;

namespace RestaurantOs.WebPubSub.Tests.Client;

public sealed class EntraIdClientTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Endpoint_without_key_uses_the_credential_for_the_webpubsub_scope_and_caches_the_token()
    {
        await using var server = await RecordingServer.StartAsync();
        var credential = new CountingCredential("entra-token", TimeSpan.FromHours(1));
        await using var provider = ClientFactory.Build(server.BaseUri, credential: credential, withKey: false);
        var client = provider.GetRequiredService<IWebPubSubServiceClient>();

        await client.SendToAllAsync(WebPubSubMessage.Text("a"), null, Ct).WaitAsync(Timeout, Ct);
        await client.SendToGroupAsync("g", WebPubSubMessage.Text("b"), null, Ct).WaitAsync(Timeout, Ct);

        Assert.All(server.Requests, r => Assert.Equal("Bearer entra-token-1", r.Authorization));
        Assert.Equal(1, credential.Calls);
        Assert.Equal(["https://webpubsub.azure.com/.default"], credential.LastScopes);
    }

    [Fact]
    public async Task The_cached_token_is_refreshed_five_minutes_before_it_expires()
    {
        await using var server = await RecordingServer.StartAsync();
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        var credential = new CountingCredential("entra-token", TimeSpan.FromMinutes(60), time);
        await using var provider = ClientFactory.Build(server.BaseUri, credential: credential, withKey: false, timeProvider: time);
        var client = provider.GetRequiredService<IWebPubSubServiceClient>();

        await client.SendToAllAsync(WebPubSubMessage.Text("a"), null, Ct).WaitAsync(Timeout, Ct);
        time.Advance(TimeSpan.FromMinutes(54));
        await client.SendToAllAsync(WebPubSubMessage.Text("b"), null, Ct).WaitAsync(Timeout, Ct);
        time.Advance(TimeSpan.FromMinutes(2)); // 56 min: inside the 5 min margin
        await client.SendToAllAsync(WebPubSubMessage.Text("c"), null, Ct).WaitAsync(Timeout, Ct);

        Assert.Equal(["Bearer entra-token-1", "Bearer entra-token-1", "Bearer entra-token-2"], server.Requests.Select(r => r.Authorization));
    }

    [Fact]
    public async Task Client_tokens_come_from_generateToken_with_repeated_role_and_group_keys()
    {
        await using var server = await RecordingServer.StartAsync();
        server.Enqueue(new ScriptedResponse(200, null, """{"token":"service-issued"}"""));
        await using var provider = ClientFactory.Build(server.BaseUri, credential: new CountingCredential("entra-token", TimeSpan.FromHours(1)), withKey: false);
        var client = provider.GetRequiredService<IWebPubSubServiceClient>();

        var negotiate = await client.GetClientAccessAsync("user-1", ["r1", "r2"], ["g1", "g2"], TimeSpan.FromSeconds(90), Ct).WaitAsync(Timeout, Ct);

        Assert.Equal("service-issued", negotiate.AccessToken);
        var request = Assert.Single(server.Requests);
        Assert.Equal("POST", request.Method);
        Assert.Equal("/api/hubs/restaurant/:generateToken", request.Path);
        Assert.Equal(["user-1"], request.Query["userId"]);
        Assert.Equal(["r1", "r2"], request.Query["role"]);
        Assert.Equal(["g1", "g2"], request.Query["group"]);
        Assert.Equal(["2"], request.Query["minutesToExpire"]); // 90 s rounded up to whole minutes
        Assert.Contains("role=r1&role=r2", request.RawTarget, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_generateToken_response_without_token_is_an_error()
    {
        await using var server = await RecordingServer.StartAsync();
        server.Enqueue(new ScriptedResponse(200, null, "{}"));
        await using var provider = ClientFactory.Build(server.BaseUri, credential: new CountingCredential("t", TimeSpan.FromHours(1)), withKey: false);
        var client = provider.GetRequiredService<IWebPubSubServiceClient>();

        await Assert.ThrowsAsync<WebPubSubServiceException>(() => client.GetClientAccessTokenAsync("u", null, null, TimeSpan.FromMinutes(5), Ct)).WaitAsync(Timeout, Ct);
    }

    [Fact]
    public void Negotiate_json_round_trips()
    {
        var original = new NegotiateResponse("b", "u", "t");
        var json = JsonSerializer.Serialize(original, WebPubSubJsonContext.Default.NegotiateResponse);
        Assert.Equal(original, JsonSerializer.Deserialize(json, WebPubSubJsonContext.Default.NegotiateResponse));
    }
}
