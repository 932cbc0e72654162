using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using RestaurantOs.WebPubSub.Protocol;

namespace RestaurantOs.WebPubSub.Tests.Protocol;

public sealed class AccessKeyTokenTests
{
    private const string Key = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH";
    private const string Audience = "https://demo.webpubsub.azure.com/client/hubs/restaurant";
    private static readonly DateTimeOffset Now = new(2026, 11, 26, 15, 0, 0, TimeSpan.Zero);

    internal static JsonElement DecodePart(string token, int index)
    {
        var part = token.Split('.')[index];
        using var document = JsonDocument.Parse(Base64Url.DecodeFromChars(part));
        return document.RootElement.Clone();
    }

    // Builds a token by hand so tests can cover shapes Create never produces (role as a string, other algorithms).
    internal static string Handmade(string headerJson, string payloadJson, string key)
    {
        var input = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(headerJson)) + "." + Base64Url.EncodeToString(Encoding.UTF8.GetBytes(payloadJson));
        var signature = HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(input));
        return input + "." + Base64Url.EncodeToString(signature);
    }

    [Fact]
    public void Create_writes_the_documented_header_and_claims()
    {
        var token = AccessKeyToken.Create(Key, Audience, TimeSpan.FromHours(1), Now, "user-1", ["webpubsub.joinLeaveGroup.g1", "webpubsub.sendToGroup"], ["g1", "g2"]);

        var header = DecodePart(token, 0);
        Assert.Equal("HS256", header.GetProperty("alg").GetString());
        Assert.Equal("JWT", header.GetProperty("typ").GetString());

        var payload = DecodePart(token, 1);
        Assert.Equal(Audience, payload.GetProperty("aud").GetString());
        Assert.Equal(Now.ToUnixTimeSeconds(), payload.GetProperty("iat").GetInt64());
        Assert.Equal(Now.ToUnixTimeSeconds(), payload.GetProperty("nbf").GetInt64());
        Assert.Equal(Now.AddHours(1).ToUnixTimeSeconds(), payload.GetProperty("exp").GetInt64());
        Assert.Equal("user-1", payload.GetProperty("sub").GetString());
        Assert.Equal(["webpubsub.joinLeaveGroup.g1", "webpubsub.sendToGroup"], payload.GetProperty("role").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["g1", "g2"], payload.GetProperty("webpubsub.group").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public void Create_signs_with_the_utf8_bytes_of_the_access_key()
    {
        var token = AccessKeyToken.Create(Key, Audience, TimeSpan.FromMinutes(5), Now);
        var lastDot = token.LastIndexOf('.');
        var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(Key), Encoding.ASCII.GetBytes(token[..lastDot]));
        Assert.Equal(Base64Url.EncodeToString(expected), token[(lastDot + 1)..]);
    }

    [Fact]
    public void Create_omits_optional_claims_when_not_given()
    {
        var payload = DecodePart(AccessKeyToken.Create(Key, Audience, TimeSpan.FromMinutes(5), Now), 1);
        Assert.False(payload.TryGetProperty("sub", out _));
        Assert.False(payload.TryGetProperty("role", out _));
        Assert.False(payload.TryGetProperty("webpubsub.group", out _));
    }

    [Fact]
    public void Create_rejects_a_non_positive_lifetime_and_reserved_custom_claims()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => AccessKeyToken.Create(Key, Audience, TimeSpan.Zero, Now));
        Assert.Throws<ArgumentException>(() => AccessKeyToken.Create(Key, Audience, TimeSpan.FromMinutes(1), Now, customClaims: [new("sub", "x")]));
    }

    [Fact]
    public void Validate_round_trips_the_principal_and_custom_claims()
    {
        var token = AccessKeyToken.Create(Key, Audience, TimeSpan.FromHours(1), Now, "user-1", ["r1"], ["g1"], [new("restaurant", "r-9")]);
        Assert.True(AccessKeyToken.TryValidate(token, ["other-key", Key], [Audience], Now.AddMinutes(30), out var principal, out var error), error);
        Assert.Equal("user-1", principal.UserId);
        Assert.Equal(["r1"], principal.Roles);
        Assert.Equal(["g1"], principal.Groups);
        Assert.Equal(Now.AddHours(1), principal.ExpiresAt);
        Assert.Equal(["r-9"], principal.Claims["restaurant"]);
        Assert.Equal([Now.AddHours(1).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture)], principal.Claims["exp"]);
    }

    [Fact]
    public void Validate_accepts_audiences_ignoring_case_and_trailing_slash()
    {
        var token = AccessKeyToken.Create(Key, Audience.ToUpperInvariant(), TimeSpan.FromHours(1), Now);
        Assert.True(AccessKeyToken.TryValidate(token, [Key], [Audience + "/"], Now, out _, out var error), error);
    }

    [Theory]
    [InlineData(-4, true)] // expired 4 min ago: inside the 5 min skew
    [InlineData(-6, false)]
    public void Validate_allows_five_minutes_of_clock_skew_on_exp(int expiredMinutesAgo, bool expected)
    {
        var token = AccessKeyToken.Create(Key, Audience, TimeSpan.FromMinutes(10), Now);
        var at = Now.AddMinutes(10 - expiredMinutesAgo);
        Assert.Equal(expected, AccessKeyToken.TryValidate(token, [Key], [Audience], at, out _, out var error));
        Assert.Equal(expected, error is null);
    }

    [Theory]
    [InlineData(-4, true)]
    [InlineData(-6, false)]
    public void Validate_allows_five_minutes_of_clock_skew_on_nbf(int minutesEarly, bool expected)
    {
        var token = AccessKeyToken.Create(Key, Audience, TimeSpan.FromMinutes(30), Now);
        Assert.Equal(expected, AccessKeyToken.TryValidate(token, [Key], [Audience], Now.AddMinutes(minutesEarly), out _, out _));
    }

    [Fact]
    public void Validate_rejects_wrong_key_wrong_audience_and_tampering()
    {
        var token = AccessKeyToken.Create(Key, Audience, TimeSpan.FromHours(1), Now, "user-1");
        Assert.False(AccessKeyToken.TryValidate(token, ["wrong-key"], [Audience], Now, out _, out var error));
        Assert.Contains("signature", error, StringComparison.Ordinal);

        Assert.False(AccessKeyToken.TryValidate(token, [Key], ["https://demo.webpubsub.azure.com/client/hubs/other"], Now, out _, out error));
        Assert.Contains("audience", error, StringComparison.Ordinal);

        var parts = token.Split('.');
        var forged = Base64Url.EncodeToString(Encoding.UTF8.GetBytes($$"""{"aud":"{{Audience}}","exp":{{Now.AddHours(1).ToUnixTimeSeconds()}},"sub":"admin"}"""));
        Assert.False(AccessKeyToken.TryValidate(parts[0] + "." + forged + "." + parts[2], [Key], [Audience], Now, out _, out _));
        Assert.False(AccessKeyToken.TryValidate(token, [], [Audience], Now, out _, out _));
    }

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("a.b")]
    [InlineData("a.b.c.d")]
    [InlineData("a..c")]
    [InlineData("!!!.###.$$$")]
    public void Validate_rejects_malformed_tokens_without_throwing(string token)
    {
        Assert.False(AccessKeyToken.TryValidate(token, [Key], [Audience], Now, out var principal, out var error));
        Assert.Null(principal);
        Assert.NotNull(error);
    }

    [Fact]
    public void Validate_rejects_other_algorithms_and_tokens_without_exp_or_aud()
    {
        var exp = Now.AddHours(1).ToUnixTimeSeconds();
        Assert.False(AccessKeyToken.TryValidate(Handmade("""{"alg":"none"}""", $$"""{"aud":"{{Audience}}","exp":{{exp}}}""", Key), [Key], [Audience], Now, out _, out _));
        Assert.False(AccessKeyToken.TryValidate(Handmade("""{"alg":"HS256"}""", $$"""{"aud":"{{Audience}}"}""", Key), [Key], [Audience], Now, out _, out _));
        Assert.False(AccessKeyToken.TryValidate(Handmade("""{"alg":"HS256"}""", $$"""{"exp":{{exp}}}""", Key), [Key], [Audience], Now, out _, out _));
    }

    [Fact]
    public void Validate_accepts_string_role_and_group_claims_array_audience_and_nameidentifier()
    {
        var exp = Now.AddHours(1).ToUnixTimeSeconds();
        var token = Handmade(
            """{"alg":"HS256","typ":"JWT"}""",
            $$"""{"aud":["https://elsewhere",  "{{Audience}}"],"exp":{{exp}},"role":"webpubsub.sendToGroup","webpubsub.group":"g1","http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier":"u-7"}""",
            Key);
        Assert.True(AccessKeyToken.TryValidate(token, [Key], [Audience], Now, out var principal, out var error), error);
        Assert.Equal("u-7", principal.UserId);
        Assert.Equal(["webpubsub.sendToGroup"], principal.Roles);
        Assert.Equal(["g1"], principal.Groups);
    }

    [Fact]
    public void Rest_audiences_include_the_full_url_and_the_url_without_query()
    {
        var url = new Uri("https://demo.webpubsub.azure.com/api/hubs/restaurant/:send?api-version=2024-12-01");
        var audiences = AccessKeyToken.GetRestAudiences(url);
        Assert.Equal(["https://demo.webpubsub.azure.com/api/hubs/restaurant/:send?api-version=2024-12-01", "https://demo.webpubsub.azure.com/api/hubs/restaurant/:send"], audiences);

        var withoutQuery = AccessKeyToken.Create(Key, audiences[1], TimeSpan.FromMinutes(5), Now);
        var withQuery = AccessKeyToken.Create(Key, audiences[0], TimeSpan.FromMinutes(5), Now);
        Assert.True(AccessKeyToken.TryValidate(withoutQuery, [Key], audiences, Now, out _, out _));
        Assert.True(AccessKeyToken.TryValidate(withQuery, [Key], audiences, Now, out _, out _));
    }

    [Theory]
    [InlineData("https://demo.webpubsub.azure.com", "restaurant", "https://demo.webpubsub.azure.com/client/hubs/restaurant")]
    [InlineData("http://localhost:8080/", "chat", "http://localhost:8080/client/hubs/chat")]
    [InlineData("wss://demo.webpubsub.azure.com", "Hub[1]", "https://demo.webpubsub.azure.com/client/hubs/Hub[1]")]
    public void Client_audience_uses_the_http_form_of_the_endpoint(string endpoint, string hub, string expected)
    {
        Assert.Equal(expected, AccessKeyToken.GetClientAudience(new Uri(endpoint), hub));
    }
}
