using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using RestaurantOs.Functions.Functions;
using RestaurantOs.Realtime.Auth;
using RestaurantOs.WebPubSub.Protocol;
using static RestaurantOs.WebPubSub.Protocol.WebPubSubConstants.Headers;

namespace RestaurantOs.Functions.Tests;

/// <summary>
/// Identity mode (no Web PubSub access key, as infra deploys it): every upstream request must carry the Entra ID
/// bearer token Web PubSub gets with its managed identity. A real Kestrel plays the tenant, publishing OIDC metadata
/// and a JWKS; the app fetches the keys from it like it would from login.microsoftonline.com.
/// </summary>
public sealed class UpstreamIdentityModeTests : IAsyncLifetime
{
    private const string Audience = "api://restaurant-os-upstream";
    private const string WebPubSubObjectId = "5b0c7d2e-0000-4000-8000-00000000a11c";

    private readonly RsaSecurityKey _tenantKey = new(RSA.Create(2048)) { KeyId = "tenant-key-1" };
    private readonly Guid _restaurant = Guid.NewGuid();
    private WebApplication _issuer = null!;
    private string _issuerUrl = null!;
    private FunctionsTestHost _host = null!;

    public async ValueTask InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _issuer = builder.Build();
        var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(_tenantKey.Rsa.ExportParameters(false)) { KeyId = _tenantKey.KeyId });
        _issuer.MapGet("/tenant/v2.0/.well-known/openid-configuration", () => Results.Text(
            $$"""{"issuer":"{{_issuerUrl}}","jwks_uri":"{{_issuerUrl}}/keys","id_token_signing_alg_values_supported":["RS256"]}""", "application/json"));
        _issuer.MapGet("/tenant/v2.0/keys", () => Results.Text(
            $$"""{"keys":[{"kty":"RSA","use":"sig","kid":"{{jwk.Kid}}","n":"{{jwk.N}}","e":"{{jwk.E}}","alg":"RS256"}]}""", "application/json"));
        await _issuer.StartAsync();
        var address = _issuer.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        _issuerUrl = address.TrimEnd('/') + "/tenant/v2.0";

        _host = new FunctionsTestHost(new Dictionary<string, string?>
        {
            // Identity mode: an endpoint, no access key.
            ["WebPubSub:ConnectionString"] = null,
            ["WebPubSub:Endpoint"] = $"https://{FunctionsTestHost.ServiceHost}",
            ["WebPubSub:Upstream:Token:Authority"] = _issuerUrl,
            ["WebPubSub:Upstream:Token:Audience"] = Audience,
            ["WebPubSub:Upstream:Token:Issuers:0"] = _issuerUrl,
            ["WebPubSub:Upstream:Token:AllowedCallerObjectIds:0"] = WebPubSubObjectId,
            ["WebPubSub:Upstream:Token:RequireHttpsMetadata"] = "false",
        });
        await _host.InitializeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _host.DisposeAsync();
        await _issuer.StopAsync();
        await _issuer.DisposeAsync();
        _tenantKey.Rsa.Dispose();
    }

    [Fact]
    public async Task A_valid_token_from_web_pubsub_is_accepted()
    {
        var (status, body) = await ConnectAsync("Bearer " + Token());

        Assert.True(status == 200, body);
        Assert.Contains("userId", body, StringComparison.Ordinal);
    }

    public static TheoryData<string> RefusedCases => new()
    {
        "missing", "wrong-audience", "wrong-issuer", "expired", "not-yet-valid", "alg-none", "unsigned", "other-key",
        "hs256-with-public-key", "wrong-caller", "no-caller", "not-bearer", "garbage",
    };

    [Theory]
    [MemberData(nameof(RefusedCases))]
    public async Task Requests_without_a_valid_token_get_401_and_change_nothing(string variant)
    {
        var now = _host.Time.GetUtcNow();
        string? authorization = variant switch
        {
            "missing" => null,
            "wrong-audience" => "Bearer " + Token(audience: "api://something-else"),
            "wrong-issuer" => "Bearer " + Token(issuer: "https://login.example/other/v2.0"),
            "expired" => "Bearer " + Token(notBefore: now.AddHours(-2), expires: now.AddMinutes(-5)),
            "not-yet-valid" => "Bearer " + Token(notBefore: now.AddMinutes(10), expires: now.AddHours(1)),
            "alg-none" => "Bearer " + Unsigned("none"),
            "unsigned" => "Bearer " + Unsigned("RS256"),
            "other-key" => "Bearer " + Token(key: new RsaSecurityKey(RSA.Create(2048)) { KeyId = _tenantKey.KeyId }),
            "hs256-with-public-key" => "Bearer " + HmacWithPublicKey(),
            "wrong-caller" => "Bearer " + Token(callerObjectId: Guid.NewGuid().ToString()),
            "no-caller" => "Bearer " + Token(callerObjectId: null),
            "not-bearer" => "Basic " + Convert.ToBase64String("user:pass"u8),
            "garbage" => "Bearer not.a.jwt",
            _ => throw new ArgumentOutOfRangeException(nameof(variant), variant, null),
        };

        var (status, body) = await ConnectAsync(authorization);

        Assert.True(status == 401, $"{variant}: {status} {body}");
        Assert.DoesNotContain("userId", body, StringComparison.Ordinal);
        Assert.DoesNotContain(_host.Service.Invocations, i => i.Method.Name != "get_Hub" && i.Method.Name != "get_Endpoint");
    }

    private async Task<(int Status, string Body)> ConnectAsync(string? authorization)
    {
        const string ConnectionId = "c-identity";
        var headers = new Dictionary<string, string>
        {
            [CloudEvents.SpecVersion] = "1.0",
            [CloudEvents.Type] = WebPubSubConstants.EventTypes.Connect,
            [CloudEvents.Source] = $"/hubs/restaurant/client/{ConnectionId}",
            [CloudEvents.Id] = Guid.NewGuid().ToString(),
            [CloudEvents.Hub] = "restaurant",
            [CloudEvents.ConnectionId] = ConnectionId,
            [CloudEvents.EventName] = "connect",
            [CloudEvents.AwpsVersion] = "1.0",
            [WebHookRequestOrigin] = FunctionsTestHost.ServiceHost,
        };
        if (authorization is not null)
        {
            headers["Authorization"] = authorization;
        }

        var appToken = _host.Token(_restaurant, Role.Kitchen);
        var body = $$"""{"claims":{},"query":{"token":["{{appToken}}"]},"headers":{},"subprotocols":[],"clientCertificates":[]}""";
        var request = _host.Request("POST", "/api/webpubsub", json: body, headers: headers);
        var function = _host.Create<WebPubSubEventHandlerFunction>();
        var (status, text, _) = await FunctionsTestHost.ExecuteAsync(request, await function.WebPubSubEvents(request, CancellationToken.None));
        return (status, text);
    }

    private string Token(
        string? audience = Audience,
        string? issuer = null,
        DateTimeOffset? notBefore = null,
        DateTimeOffset? expires = null,
        SecurityKey? key = null,
        string? callerObjectId = WebPubSubObjectId)
    {
        var now = _host.Time.GetUtcNow();
        var claims = new Dictionary<string, object> { ["sub"] = callerObjectId ?? "someone" };
        if (callerObjectId is not null)
        {
            claims["oid"] = callerObjectId;
        }

        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer ?? _issuerUrl,
            Audience = audience,
            IssuedAt = (notBefore ?? now.AddMinutes(-1)).UtcDateTime,
            NotBefore = (notBefore ?? now.AddMinutes(-1)).UtcDateTime,
            Expires = (expires ?? now.AddHours(1)).UtcDateTime,
            Claims = claims,
            SigningCredentials = new SigningCredentials(key ?? _tenantKey, SecurityAlgorithms.RsaSha256),
        });
    }

    /// <summary>A token with the right claims and no signature, claiming <paramref name="algorithm"/>.</summary>
    private string Unsigned(string algorithm)
    {
        var now = _host.Time.GetUtcNow().ToUnixTimeSeconds();
        var header = Base64Url.EncodeToString(Encoding.UTF8.GetBytes($$"""{"alg":"{{algorithm}}","typ":"JWT","kid":"{{_tenantKey.KeyId}}"}"""));
        var payload = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(
            $$"""{"iss":"{{_issuerUrl}}","aud":"{{Audience}}","oid":"{{WebPubSubObjectId}}","sub":"{{WebPubSubObjectId}}","nbf":{{now - 60}},"iat":{{now - 60}},"exp":{{now + 3600}}}"""));
        return $"{header}.{payload}.";
    }

    /// <summary>The classic key-confusion forgery: HS256 keyed with the issuer's public key bytes.</summary>
    private string HmacWithPublicKey()
    {
        var now = _host.Time.GetUtcNow();
        var publicKey = new SymmetricSecurityKey(_tenantKey.Rsa.ExportSubjectPublicKeyInfo()) { KeyId = _tenantKey.KeyId };
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = _issuerUrl,
            Audience = Audience,
            IssuedAt = now.AddMinutes(-1).UtcDateTime,
            NotBefore = now.AddMinutes(-1).UtcDateTime,
            Expires = now.AddHours(1).UtcDateTime,
            Claims = new Dictionary<string, object> { ["oid"] = WebPubSubObjectId },
            SigningCredentials = new SigningCredentials(publicKey, SecurityAlgorithms.HmacSha256),
        });
    }
}
