using Microsoft.Extensions.DependencyInjection;
using RestaurantOs.WebPubSub.Client;
using RestaurantOs.WebPubSub.Protocol;
using RestaurantOs.WebPubSub.Tests.Infrastructure;

namespace RestaurantOs.WebPubSub.Tests.Client;

public sealed class GroupMembersTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);
    private RecordingServer _server = null!;
    private ServiceProvider _provider = null!;
    private IWebPubSubServiceClient _client = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _server = await RecordingServer.StartAsync();
        _provider = ClientFactory.Build(_server.BaseUri);
        _client = _provider.GetRequiredService<IWebPubSubServiceClient>();
    }

    public async ValueTask DisposeAsync()
    {
        await _provider.DisposeAsync();
        await _server.DisposeAsync();
    }

    private async Task<List<WebPubSubGroupMember>> ListAsync(string group, int? pageSize)
    {
        var members = new List<WebPubSubGroupMember>();
        await foreach (var member in _client.ListConnectionsInGroupAsync(group, pageSize, Ct).WithCancellation(Ct))
        {
            members.Add(member);
        }

        return members;
    }

    [Fact]
    public async Task Listing_follows_next_links_with_a_token_signed_for_each_url()
    {
        var next = $"{_server.BaseUri.GetLeftPart(UriPartial.Authority)}/api/hubs/restaurant/groups/g1/connections?api-version=2024-12-01&maxpagesize=2&continuationToken=abc";
        _server.Enqueue(
            new ScriptedResponse(200, null, "{\"value\":[{\"connectionId\":\"c1\",\"userId\":\"u1\"},{\"connectionId\":\"c2\",\"userId\":null}],\"nextLink\":\"" + next + "\"}"),
            new ScriptedResponse(200, null, "{\"value\":[{\"connectionId\":\"c3\",\"userId\":\"u3\"}],\"nextLink\":null}"));

        var members = await ListAsync("g1", 2).WaitAsync(Timeout, Ct);

        Assert.Equal([new("c1", "u1"), new("c2", null), new("c3", "u3")], members);
        var requests = _server.Requests;
        Assert.Equal(2, requests.Count);
        Assert.All(requests, r => Assert.Equal("GET", r.Method));
        Assert.Equal("/api/hubs/restaurant/groups/g1/connections?api-version=2024-12-01&maxpagesize=2", requests[0].RawTarget);
        Assert.Equal(["abc"], requests[1].Query["continuationToken"]);
        foreach (var request in requests)
        {
            var token = request.Authorization!["Bearer ".Length..];
            Assert.True(AccessKeyToken.TryValidate(token, [ClientFactory.AccessKey], [request.AbsoluteUrl], DateTimeOffset.UtcNow, out _, out var error), error);
        }
    }

    [Fact]
    public async Task A_next_link_off_the_service_is_refused()
    {
        _server.Enqueue(new ScriptedResponse(200, null, "{\"value\":[{\"connectionId\":\"c1\"}],\"nextLink\":\"https://attacker.example/steal\"}"));

        var error = await Assert.ThrowsAsync<WebPubSubServiceException>(() => ListAsync("g1", null)).WaitAsync(Timeout, Ct);

        Assert.Contains("nextLink", error.Message, StringComparison.Ordinal);
        Assert.Single(_server.Requests);
    }

    [Fact]
    public async Task Page_size_is_validated()
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => ListAsync("g1", 201));
        Assert.Empty(_server.Requests);
    }
}
