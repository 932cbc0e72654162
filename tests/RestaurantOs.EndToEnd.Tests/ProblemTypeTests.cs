using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using RestaurantOs.EndToEnd.Tests.Infrastructure;

namespace RestaurantOs.EndToEnd.Tests;

/// <summary>
/// The parts of the HTTP error contract around the problems themselves, through DevHost's real HTTP stack: every
/// problem <c>type</c> leads to the app's own description of its code, a 401 says how to authenticate, and a request
/// nothing answers is a 404 problem rather than an empty page.
/// </summary>
public sealed partial class ProblemTypeTests(DevHostFixture host) : IClassFixture<DevHostFixture>
{
    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{response.RequestMessage!.RequestUri} → {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var root = JsonDocument.Parse(text).RootElement.Clone();
        Assert.Equal(code, root.GetProperty("code").GetString());
        Assert.Equal(new Uri(response.RequestMessage!.RequestUri!, "/api/problems/" + code), new Uri(root.GetProperty("type").GetString()!));
        return root;
    }

    [Theory]
    [InlineData("GET", "api/nope")]
    [InlineData("POST", "api/orders/00000000-0000-0000-0000-000000000001/refund")]
    [InlineData("GET", "no-such-page.html")]
    [InlineData("DELETE", "api")]
    public async Task A_request_that_no_route_answers_gets_a_404_problem(string method, string path)
    {
        using var response = await host.SendAsync(new HttpMethod(method), path, token: null);

        var problem = await ProblemAsync(response, HttpStatusCode.NotFound, "NOT_FOUND");
        Assert.Contains(method + " /" + path, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_order_keeps_its_own_404_problem_and_a_page_still_loads()
    {
        var token = await host.TokenAsync(Guid.NewGuid(), "manager");
        using var order = await host.SendAsync(HttpMethod.Get, $"api/orders/{Guid.NewGuid()}", token);
        var problem = await ProblemAsync(order, HttpStatusCode.NotFound, "NOT_FOUND");
        Assert.DoesNotContain("Nothing is served", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);

        using var page = await host.Http.GetAsync(new Uri(host.BaseUri, "kds.html"), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_401_names_the_bearer_scheme_and_says_invalid_token_only_when_a_token_was_refused()
    {
        using var none = await host.SendAsync(HttpMethod.Get, "api/orders", token: null);
        await ProblemAsync(none, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        var challenge = Assert.Single(none.Headers.WwwAuthenticate);
        Assert.Equal("Bearer", challenge.Scheme);
        Assert.DoesNotContain("error=", challenge.Parameter, StringComparison.Ordinal);

        var expired = host.MintToken(Guid.NewGuid(), RestaurantOs.Realtime.Auth.Role.Manager, "e2e", DateTimeOffset.UtcNow.AddHours(-2), DateTimeOffset.UtcNow.AddHours(-1));
        foreach (var token in new[] { "garbage", expired })
        {
            using var refused = await host.SendAsync(HttpMethod.Get, "api/orders", token);
            await ProblemAsync(refused, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
            var bad = Assert.Single(refused.Headers.WwwAuthenticate);
            Assert.Equal("Bearer", bad.Scheme);
            Assert.Contains("error=\"invalid_token\"", bad.Parameter, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Every_problem_type_is_served_by_the_app_and_listed_in_the_api_docs()
    {
        var ct = TestContext.Current.CancellationToken;
        using var list = await host.Http.GetAsync(new Uri(host.BaseUri, "api/problems"), ct);
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        var kinds = JsonDocument.Parse(await list.Content.ReadAsStringAsync(ct)).RootElement.EnumerateArray()
            .Select(k => (Code: k.GetProperty("code").GetString()!, Status: k.GetProperty("status").GetInt32()))
            .ToList();
        Assert.Contains(kinds, k => k.Code == "VALIDATION_FAILED" && k.Status == 400);

        foreach (var (code, status) in kinds)
        {
            using var one = await host.Http.GetAsync(new Uri(host.BaseUri, "api/problems/" + code), ct);
            Assert.Equal(HttpStatusCode.OK, one.StatusCode);
            var entry = JsonDocument.Parse(await one.Content.ReadAsStringAsync(ct)).RootElement;
            Assert.Equal(code, entry.GetProperty("code").GetString());
            Assert.Equal(status, entry.GetProperty("status").GetInt32());
            Assert.False(string.IsNullOrWhiteSpace(entry.GetProperty("description").GetString()));
        }

        using var unknown = await host.SendAsync(HttpMethod.Get, "api/problems/NO_SUCH_CODE", token: null);
        await ProblemAsync(unknown, HttpStatusCode.NotFound, "NOT_FOUND");

        // docs/api.md's "Problem types" table lists exactly these codes with these statuses.
        var documented = File.ReadAllLines(RepoFiles.Docs("api.md"))
            .SkipWhile(l => l != "## Problem types")
            .Select(l => DocumentedRow().Match(l))
            .Where(m => m.Success)
            .Select(m => (Code: m.Groups["code"].Value, Status: int.Parse(m.Groups["status"].Value, System.Globalization.CultureInfo.InvariantCulture)))
            .ToList();
        Assert.Equal(kinds.OrderBy(k => k.Code, StringComparer.Ordinal), documented.OrderBy(k => k.Code, StringComparer.Ordinal));
    }

    [GeneratedRegex(@"^\| `(?<code>[A-Z_]+)` \| (?<status>\d{3}) \|")]
    private static partial Regex DocumentedRow();
}
