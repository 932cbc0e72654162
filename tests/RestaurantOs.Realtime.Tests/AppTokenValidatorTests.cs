using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using RestaurantOs.Realtime.Auth;
using RestaurantOs.Realtime.Protocol;

namespace RestaurantOs.Realtime.Tests;

/// <summary>A real HTTP server on 127.0.0.1 serving OIDC discovery and a JWKS, shared by the class (RSA keys are slow to make).</summary>
public sealed class KeyServerFixture : IAsyncLifetime
{
    public const string Issuer = "https://issuer.test/auth/v1";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private WebApplication? _server;
    private int _jwksRequests;

    public RSA Rsa { get; } = RSA.Create(2048);

    public ECDsa Ec { get; } = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public string BaseUrl { get; private set; } = "";

    public int JwksRequests => Volatile.Read(ref _jwksRequests);

    public async ValueTask InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _server = builder.Build();
        var parameters = Rsa.ExportParameters(false);
        var ec = Ec.ExportParameters(false);
        var jwks = $$"""{"keys":[{"kty":"RSA","use":"sig","alg":"RS256","kid":"k1","n":"{{Base64UrlEncoder.Encode(parameters.Modulus)}}","e":"{{Base64UrlEncoder.Encode(parameters.Exponent)}}"},{"kty":"EC","use":"sig","alg":"ES256","kid":"e1","crv":"P-256","x":"{{Base64UrlEncoder.Encode(ec.Q.X)}}","y":"{{Base64UrlEncoder.Encode(ec.Q.Y)}}"}]}""";
        _server.MapGet("/jwks", () =>
        {
            Interlocked.Increment(ref _jwksRequests);
            return Results.Text(jwks, "application/json");
        });
        _server.MapGet("/.well-known/openid-configuration", () =>
            Results.Text($$"""{"issuer":"{{Issuer}}","jwks_uri":"{{BaseUrl}}/jwks"}""", "application/json"));
        await _server.StartAsync(CancellationToken.None).WaitAsync(Timeout);
        BaseUrl = _server.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.StopAsync(CancellationToken.None).WaitAsync(Timeout);
            await _server.DisposeAsync();
        }

        Rsa.Dispose();
        Ec.Dispose();
    }
}

public sealed class AppTokenValidatorTests(KeyServerFixture keys) : IClassFixture<KeyServerFixture>
{
    private const string Secret = "a-development-secret-of-at-least-32-bytes!";
    private const string Issuer = KeyServerFixture.Issuer;
    private const string Audience = "authenticated";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero));
    private readonly RSA _rsa = keys.Rsa;
    private readonly Guid _restaurant = Guid.NewGuid();
    private readonly string _baseUrl = keys.BaseUrl;

    private IAppTokenValidator Validator(params (string Key, string? Value)[] settings)
    {
        var values = new Dictionary<string, string?>
        {
            ["Auth:Issuer"] = Issuer,
            ["Auth:Audience"] = Audience,
            ["Auth:RequireHttpsMetadata"] = "false",
        };
        foreach (var (key, value) in settings)
        {
            values[key] = value;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<TimeProvider>(_time);
        services.AddAppTokenValidation(configuration);
        return services.BuildServiceProvider().GetRequiredService<IAppTokenValidator>();
    }

    private IAppTokenValidator HsValidator() => Validator(("Auth:SigningKey", Secret));

    private string Hs(Role role = Role.Server, IEnumerable<Guid>? orders = null, TimeSpan? lifetime = null, TimeSpan? startsIn = null, string secret = Secret, string issuer = Issuer, string audience = Audience)
    {
        var now = _time.GetUtcNow() + (startsIn ?? TimeSpan.Zero);
        return AppTokenIssuer.CreateHs256(secret, issuer, audience, "user-1", _restaurant, role, orders, now, now + (lifetime ?? TimeSpan.FromHours(1)));
    }

    private static string Handmade(string headerJson, string payloadJson, Func<byte[], byte[]>? sign)
    {
        var signingInput = Base64UrlEncoder.Encode(headerJson) + "." + Base64UrlEncoder.Encode(payloadJson);
        var signature = sign is null ? "" : Base64UrlEncoder.Encode(sign(Encoding.ASCII.GetBytes(signingInput)));
        return signingInput + "." + signature;
    }

    private string Payload(string? restaurant = null, string role = "server", string? extra = null)
    {
        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        return $$"""{"sub":"user-1","iss":"{{Issuer}}","aud":"{{Audience}}","iat":{{now}},"nbf":{{now}},"exp":{{now + 3600}},"restaurant_id":"{{restaurant ?? _restaurant.ToString()}}","role":"{{role}}"{{extra}}}""";
    }

    private string Rs256(string payloadJson, string kid = "k1") =>
        Handmade($$"""{"alg":"RS256","typ":"JWT","kid":"{{kid}}"}""", payloadJson, data => _rsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));

    private static async Task<TokenValidationOutcome> Check(IAppTokenValidator validator, string? token) =>
        await validator.ValidateAsync(token, TestContext.Current.CancellationToken).WaitAsync(Timeout);

    private static void AssertUnauthorized(TokenValidationOutcome outcome)
    {
        Assert.False(outcome.Succeeded);
        Assert.Null(outcome.Identity);
        Assert.Equal(ErrorCodes.Unauthorized, outcome.ErrorCode);
        Assert.False(string.IsNullOrWhiteSpace(outcome.ErrorMessage));
    }

    [Theory]
    [InlineData(Role.Owner)]
    [InlineData(Role.Manager)]
    [InlineData(Role.Server)]
    [InlineData(Role.Cashier)]
    [InlineData(Role.Kitchen)]
    [InlineData(Role.Expo)]
    [InlineData(Role.Service)]
    public async Task Valid_HS256_staff_token_yields_the_identity(Role role)
    {
        var outcome = await Check(HsValidator(), Hs(role));
        Assert.True(outcome.Succeeded, outcome.ErrorMessage);
        Assert.Equal("user-1", outcome.Identity.UserId);
        Assert.Equal(_restaurant, outcome.Identity.RestaurantId);
        Assert.Equal(role, outcome.Identity.Role);
        Assert.Empty(outcome.Identity.OrderIds);
        Assert.Equal(_time.GetUtcNow() + TimeSpan.FromHours(1), outcome.ExpiresAt);
    }

    [Fact]
    public async Task A_previous_secret_is_accepted_during_rotation_and_an_unlisted_one_is_not()
    {
        const string Old = "the-secret-before-rotation-0123456789abcdef";
        var validator = Validator(("Auth:SigningKey", Secret), ("Auth:PreviousSigningKeys:0", Old));

        Assert.True((await Check(validator, Hs(secret: Secret))).Succeeded);
        Assert.True((await Check(validator, Hs(secret: Old))).Succeeded);
        AssertUnauthorized(await Check(validator, Hs(secret: "a-third-secret-nobody-configured-0123456789")));
        AssertUnauthorized(await Check(HsValidator(), Hs(secret: Old)));
    }

    [Fact]
    public async Task Valid_customer_token_carries_its_orders()
    {
        Guid[] orders = [Guid.NewGuid(), Guid.NewGuid()];
        var outcome = await Check(HsValidator(), Hs(Role.Customer, orders));
        Assert.True(outcome.Succeeded, outcome.ErrorMessage);
        Assert.Equal(Role.Customer, outcome.Identity.Role);
        Assert.Equal(orders, outcome.Identity.OrderIds);
    }

    [Theory]
    [InlineData(" ")]
    [InlineData(",")]
    [InlineData(", ")]
    public async Task Customer_order_ids_may_be_a_separated_string(string separator)
    {
        Guid[] orders = [Guid.NewGuid(), Guid.NewGuid()];
        var token = Handmade("""{"alg":"HS256","typ":"JWT"}""", Payload(role: "customer", extra: $$""","order_ids":"{{orders[0]}}{{separator}}{{orders[1]}}" """), HmacWith(Secret));
        var outcome = await Check(HsValidator(), token);
        Assert.True(outcome.Succeeded, outcome.ErrorMessage);
        Assert.Equal(orders, outcome.Identity.OrderIds);
    }

    [Fact]
    public async Task A_token_may_name_the_station_and_device_of_its_screen()
    {
        var token = Handmade("""{"alg":"HS256","typ":"JWT"}""", Payload(role: "kitchen", extra: ""","station":"grill-kds-1","device":"tablet-7" """), HmacWith(Secret));
        var outcome = await Check(HsValidator(), token);
        Assert.True(outcome.Succeeded, outcome.ErrorMessage);
        Assert.Equal(("grill-kds-1", "tablet-7"), (outcome.Identity.Station, outcome.Identity.Device));
    }

    [Theory]
    [InlineData(""","station":"grill kds" """)]
    [InlineData(""","station":"" """)]
    [InlineData(""","device":"../etc" """)]
    public async Task A_token_with_a_bad_station_or_device_is_rejected(string extra) =>
        AssertUnauthorized(await Check(HsValidator(), Handmade("""{"alg":"HS256","typ":"JWT"}""", Payload(role: "kitchen", extra: extra), HmacWith(Secret))));

    private static Func<byte[], byte[]> HmacWith(string secret) => data => HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), data);

    [Fact]
    public async Task Expired_token_is_rejected_but_clock_skew_is_honoured()
    {
        var validator = HsValidator();
        var token = Hs(lifetime: TimeSpan.FromMinutes(5));
        _time.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(20));
        Assert.True((await Check(validator, token)).Succeeded, "within the 30 s skew");
        _time.Advance(TimeSpan.FromSeconds(11));
        var outcome = await Check(validator, token);
        AssertUnauthorized(outcome);
        Assert.Contains("expired", outcome.ErrorMessage, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Not_yet_valid_token_is_rejected()
    {
        var outcome = await Check(HsValidator(), Hs(startsIn: TimeSpan.FromMinutes(2)));
        AssertUnauthorized(outcome);
        Assert.Contains("not valid yet", outcome.ErrorMessage, StringComparison.OrdinalIgnoreCase);
        Assert.True((await Check(HsValidator(), Hs(startsIn: TimeSpan.FromSeconds(20)))).Succeeded, "within the skew");
    }

    [Fact]
    public async Task Token_without_exp_is_rejected()
    {
        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        var token = Handmade("""{"alg":"HS256","typ":"JWT"}""", $$"""{"sub":"u","iss":"{{Issuer}}","aud":"{{Audience}}","nbf":{{now}},"restaurant_id":"{{_restaurant}}","role":"server"}""", HmacWith(Secret));
        AssertUnauthorized(await Check(HsValidator(), token));
    }

    [Fact]
    public async Task Wrong_issuer_is_rejected() => AssertUnauthorized(await Check(HsValidator(), Hs(issuer: "https://evil.test")));

    [Fact]
    public async Task Wrong_audience_is_rejected() => AssertUnauthorized(await Check(HsValidator(), Hs(audience: "someone-else")));

    [Fact]
    public async Task Wrong_key_is_rejected() => AssertUnauthorized(await Check(HsValidator(), Hs(secret: "another-secret-that-is-32-bytes-or-more!!")));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("not-a-jwt")]
    [InlineData("a.b.c")]
    [InlineData("eyJhbGciOiJIUzI1NiJ9..")]
    public async Task Missing_or_malformed_token_is_rejected(string? token) => AssertUnauthorized(await Check(HsValidator(), token));

    [Theory]
    [InlineData("none")]
    [InlineData("None")]
    [InlineData("NONE")]
    public async Task Alg_none_is_rejected(string alg)
    {
        var token = Handmade($$"""{"alg":"{{alg}}","typ":"JWT"}""", Payload(), sign: null);
        AssertUnauthorized(await Check(HsValidator(), token));
        AssertUnauthorized(await Check(Validator(("Auth:SigningKey", Secret), ("Auth:JwksUrl", _baseUrl + "/jwks")), token));
    }

    [Fact]
    public async Task HS256_token_signed_with_the_RSA_public_key_is_rejected()
    {
        // The classic confusion attack: the attacker knows the public key and uses it as an HMAC secret.
        var publicPem = _rsa.ExportSubjectPublicKeyInfoPem();
        var publicDer = _rsa.ExportSubjectPublicKeyInfo();
        foreach (var key in new[] { Encoding.UTF8.GetBytes(publicPem), publicDer })
        {
            var forged = Handmade("""{"alg":"HS256","typ":"JWT","kid":"k1"}""", Payload(), data => HMACSHA256.HashData(key, data));
            AssertUnauthorized(await Check(Validator(("Auth:JwksUrl", _baseUrl + "/jwks"), ("Auth:AllowedAlgorithms:0", "RS256")), forged));
            AssertUnauthorized(await Check(Validator(("Auth:JwksUrl", _baseUrl + "/jwks")), forged));
            AssertUnauthorized(await Check(Validator(("Auth:JwksUrl", _baseUrl + "/jwks"), ("Auth:SigningKey", Secret)), forged));
        }
    }

    [Fact]
    public async Task HS256_token_against_RS256_only_configuration_is_rejected()
    {
        var validator = Validator(("Auth:JwksUrl", _baseUrl + "/jwks"), ("Auth:AllowedAlgorithms:0", "RS256"));
        AssertUnauthorized(await Check(validator, Hs()));
    }

    [Fact]
    public async Task RS256_token_against_HS256_only_configuration_is_rejected()
    {
        var validator = Validator(("Auth:SigningKey", Secret), ("Auth:AllowedAlgorithms:0", "HS256"));
        AssertUnauthorized(await Check(validator, Rs256(Payload())));
        var withJwks = Validator(("Auth:SigningKey", Secret), ("Auth:JwksUrl", _baseUrl + "/jwks"), ("Auth:AllowedAlgorithms:0", "HS256"));
        var outcome = await Check(withJwks, Rs256(Payload()));
        AssertUnauthorized(outcome);
    }

    [Fact]
    public async Task RS256_token_validates_against_a_JWKS_served_over_HTTP_and_keys_are_cached()
    {
        var validator = Validator(("Auth:JwksUrl", _baseUrl + "/jwks"));
        var before = keys.JwksRequests;
        for (var i = 0; i < 3; i++)
        {
            var outcome = await Check(validator, Rs256(Payload()));
            Assert.True(outcome.Succeeded, outcome.ErrorMessage);
            Assert.Equal(_restaurant, outcome.Identity.RestaurantId);
        }

        Assert.Equal(before + 1, keys.JwksRequests);
        // Results are not cached: the same token is rejected once it expires.
        var token = Rs256(Payload());
        _time.Advance(TimeSpan.FromHours(2));
        AssertUnauthorized(await Check(validator, token));
    }

    [Fact]
    public async Task ES256_token_validates_against_the_JWKS_and_is_refused_when_not_allowed()
    {
        var token = Handmade("""{"alg":"ES256","typ":"JWT","kid":"e1"}""", Payload(), data => keys.Ec.SignData(data, HashAlgorithmName.SHA256));
        var outcome = await Check(Validator(("Auth:JwksUrl", _baseUrl + "/jwks")), token);
        Assert.True(outcome.Succeeded, outcome.ErrorMessage);
        AssertUnauthorized(await Check(Validator(("Auth:JwksUrl", _baseUrl + "/jwks"), ("Auth:AllowedAlgorithms:0", "RS256")), token));
    }

    [Fact]
    public async Task RS256_token_validates_through_OIDC_discovery()
    {
        var outcome = await Check(Validator(("Auth:Authority", _baseUrl)), Rs256(Payload()));
        Assert.True(outcome.Succeeded, outcome.ErrorMessage);
    }

    [Fact]
    public async Task RS256_token_signed_by_another_key_is_rejected()
    {
        using var other = RSA.Create(2048);
        var token = Handmade("""{"alg":"RS256","typ":"JWT","kid":"k1"}""", Payload(), data => other.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
        AssertUnauthorized(await Check(Validator(("Auth:JwksUrl", _baseUrl + "/jwks")), token));
    }

    [Fact]
    public async Task Unreachable_JWKS_is_a_server_error_not_unauthorized()
    {
        var validator = Validator(("Auth:JwksUrl", "http://127.0.0.1:1/jwks"));
        var outcome = await Check(validator, Rs256(Payload()));
        Assert.False(outcome.Succeeded);
        Assert.Equal(ErrorCodes.InternalError, outcome.ErrorCode);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("not-a-uuid")]
    [InlineData("00000000-0000-0000-0000-000000000000")]
    public async Task Missing_or_invalid_restaurant_id_is_rejected(string? restaurant)
    {
        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        var claim = restaurant is null ? "" : $$""","restaurant_id":"{{restaurant}}" """;
        var token = Handmade("""{"alg":"HS256","typ":"JWT"}""", $$"""{"sub":"u","iss":"{{Issuer}}","aud":"{{Audience}}","nbf":{{now}},"exp":{{now + 60}},"role":"server"{{claim}}}""", HmacWith(Secret));
        var outcome = await Check(HsValidator(), token);
        AssertUnauthorized(outcome);
        Assert.Contains("restaurant_id", outcome.ErrorMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("admin")]
    [InlineData("authenticated")]
    [InlineData("")]
    [InlineData("0")]
    public async Task Unknown_role_is_rejected(string role)
    {
        var token = Handmade("""{"alg":"HS256","typ":"JWT"}""", Payload(role: role), HmacWith(Secret));
        AssertUnauthorized(await Check(HsValidator(), token));
    }

    [Fact]
    public async Task Missing_role_and_missing_sub_are_rejected()
    {
        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        var noRole = Handmade("""{"alg":"HS256"}""", $$"""{"sub":"u","iss":"{{Issuer}}","aud":"{{Audience}}","exp":{{now + 60}},"restaurant_id":"{{_restaurant}}"}""", HmacWith(Secret));
        var noSub = Handmade("""{"alg":"HS256"}""", $$"""{"iss":"{{Issuer}}","aud":"{{Audience}}","exp":{{now + 60}},"restaurant_id":"{{_restaurant}}","role":"server"}""", HmacWith(Secret));
        AssertUnauthorized(await Check(HsValidator(), noRole));
        AssertUnauthorized(await Check(HsValidator(), noSub));
    }

    [Fact]
    public async Task Role_names_are_case_insensitive()
    {
        var token = Handmade("""{"alg":"HS256","typ":"JWT"}""", Payload(role: "Kitchen"), HmacWith(Secret));
        Assert.Equal(Role.Kitchen, (await Check(HsValidator(), token)).Identity?.Role);
    }

    [Theory]
    [InlineData("")]
    [InlineData(""","order_ids":[]""")]
    [InlineData(",\"order_ids\":\"\"")]
    [InlineData(""","order_ids":["not-a-uuid"]""")]
    [InlineData(""","order_ids":[1]""")]
    public async Task Customer_without_valid_order_ids_is_rejected(string claim)
    {
        var token = Handmade("""{"alg":"HS256","typ":"JWT"}""", Payload(role: "customer", extra: claim), HmacWith(Secret));
        AssertUnauthorized(await Check(HsValidator(), token));
    }

    [Fact]
    public async Task Customer_with_too_many_orders_is_rejected()
    {
        var orders = Enumerable.Range(0, AppTokenValidator.MaxOrderIds + 1).Select(_ => Guid.NewGuid());
        AssertUnauthorized(await Check(HsValidator(), Hs(Role.Customer, orders)));
    }

    // ---- Options validation: actionable messages that name the setting. ----

    [Theory]
    [InlineData(null, "Audience", "Secret-that-is-long-enough-32-bytes!!", null, "Auth:Issuer")]
    [InlineData("iss", null, "Secret-that-is-long-enough-32-bytes!!", null, "Auth:Audience")]
    [InlineData("iss", "aud", null, null, "Auth:SigningKey")]
    [InlineData("iss", "aud", "short", null, "Auth:SigningKey")]
    [InlineData("iss", "aud", null, "not a url", "Auth:JwksUrl")]
    [InlineData("iss", "aud", null, "http://keys.test/jwks", "Auth:JwksUrl")]
    public void Invalid_options_fail_with_the_setting_named(string? issuer, string? audience, string? key, string? jwks, string expected)
    {
        var options = new AppJwtOptions { Issuer = issuer, Audience = audience, SigningKey = key, JwksUrl = jwks };
        var result = new AppJwtOptionsValidator().Validate(null, options);
        Assert.True(result.Failed);
        Assert.Contains(expected, result.FailureMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(Secret, "short", "Auth:PreviousSigningKeys:0")]
    [InlineData(null, "the-secret-before-rotation-0123456789abcdef", "Auth:PreviousSigningKeys is set without Auth:SigningKey")]
    public void Previous_secrets_are_validated(string? current, string previous, string expected)
    {
        var options = new AppJwtOptions { Issuer = "i", Audience = "a", SigningKey = current, JwksUrl = "https://keys.test/jwks", PreviousSigningKeys = [previous] };
        var result = new AppJwtOptionsValidator().Validate(null, options);
        Assert.True(result.Failed);
        Assert.Contains(expected, result.FailureMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("none")]
    [InlineData("HS1")]
    public void Unknown_algorithms_are_refused(string alg)
    {
        var options = new AppJwtOptions { Issuer = "i", Audience = "a", SigningKey = Secret, AllowedAlgorithms = ["HS256", alg] };
        var result = new AppJwtOptionsValidator().Validate(null, options);
        Assert.True(result.Failed);
        Assert.Contains("Auth:AllowedAlgorithms", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Valid_options_pass_and_default_algorithms_apply()
    {
        var options = new AppJwtOptions { Issuer = "i", Audience = "a", SigningKey = Secret };
        Assert.True(new AppJwtOptionsValidator().Validate(null, options).Succeeded);
        Assert.Equal(["HS256", "RS256", "ES256"], options.GetAllowedAlgorithms());
    }

    [Fact]
    public void Resolving_the_validator_with_bad_configuration_throws_an_actionable_error()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Auth:Issuer"] = "i" }).Build();
        var services = new ServiceCollection().AddLogging().AddAppTokenValidation(configuration).BuildServiceProvider();
        var ex = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IAppTokenValidator>());
        Assert.Contains("Auth:Audience", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Issued_tokens_carry_the_documented_claims()
    {
        var order = Guid.NewGuid();
        var jwt = new JsonWebToken(Hs(Role.Customer, [order]));
        Assert.Equal("HS256", jwt.Alg);
        Assert.Equal("user-1", jwt.Subject);
        Assert.Equal(_restaurant.ToString(), jwt.GetPayloadValue<string>("restaurant_id"));
        Assert.Equal("customer", jwt.GetPayloadValue<string>("role"));
        Assert.Equal([order.ToString()], jwt.GetPayloadValue<string[]>("order_ids"));
    }
}
