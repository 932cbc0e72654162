using System.Text;
using Microsoft.Extensions.Options;
using RestaurantOs.WebPubSub.Upstream;

namespace RestaurantOs.WebPubSub.Tests.Upstream;

public sealed class ConnectionStateProtectorTests
{
    private const string KeyA = "a2V5LWEtMDEyMzQ1Njc4OS0wMTIzNDU2Nzg5LTAxMjM0NTY3ODk=";
    private const string KeyB = "a2V5LWItMDEyMzQ1Njc4OS0wMTIzNDU2Nzg5LTAxMjM0NTY3ODk=";
    private static readonly byte[] Payload = """{"authenticated":true,"restaurant_id":"7d0c8f1e-4c1b-4f43-9a52-4bd1c3a5e001","role":"kitchen"}"""u8.ToArray();

    private static ConnectionStateProtector Protector(string key, params string[] previous) =>
        new(Options.Create(new ConnectionStateProtectionOptions { Key = key, PreviousKeys = previous }));

    [Fact]
    public void Round_trip_returns_the_payload_verified_with_the_current_key()
    {
        var protector = Protector(KeyA);
        var value = protector.Protect("restaurant", "conn-1", Payload);

        Assert.Equal(StateVerification.Current, protector.TryUnprotect("restaurant", "conn-1", value, out var payload));
        Assert.Equal(Payload, payload);
        // Hub names are case-insensitive in Web PubSub.
        Assert.Equal(StateVerification.Current, protector.TryUnprotect("Restaurant", "conn-1", value, out _));
    }

    [Fact]
    public void Changing_any_character_of_the_protected_value_fails_verification()
    {
        var protector = Protector(KeyA);
        var value = protector.Protect("restaurant", "conn-1", Payload);
        for (var i = 0; i < value.Length; i++)
        {
            foreach (var replacement in new[] { 'A', 'B', '_', '-', '.' })
            {
                if (value[i] == replacement)
                {
                    continue;
                }

                var tampered = string.Concat(value.AsSpan(0, i), replacement.ToString(), value.AsSpan(i + 1));
                Assert.True(
                    protector.TryUnprotect("restaurant", "conn-1", tampered, out var payload) == StateVerification.Invalid,
                    $"position {i} changed to '{replacement}' was accepted: {tampered}");
                Assert.Null(payload);
            }
        }

        Assert.Equal(StateVerification.Invalid, protector.TryUnprotect("restaurant", "conn-1", value + "A", out _));
        Assert.Equal(StateVerification.Invalid, protector.TryUnprotect("restaurant", "conn-1", value[..^1], out _));
    }

    [Fact]
    public void Every_byte_of_the_payload_is_covered_by_the_mac()
    {
        var protector = Protector(KeyA);
        var value = protector.Protect("restaurant", "conn-1", Payload);
        var mac = value[(value.LastIndexOf('.') + 1)..];
        for (var i = 0; i < Payload.Length; i++)
        {
            var changed = (byte[])Payload.Clone();
            changed[i] ^= 0x01;
            var forged = $"v1.{System.Buffers.Text.Base64Url.EncodeToString(changed)}.{mac}";
            Assert.Equal(StateVerification.Invalid, protector.TryUnprotect("restaurant", "conn-1", forged, out _));
        }
    }

    [Theory]
    [InlineData("restaurant", "conn-2")]
    [InlineData("restaurant", "conn-1 ")]
    [InlineData("other-hub", "conn-1")]
    public void A_value_made_for_another_connection_or_hub_fails(string hub, string connectionId)
    {
        var protector = Protector(KeyA);
        var value = protector.Protect("restaurant", "conn-1", Payload);

        Assert.Equal(StateVerification.Invalid, protector.TryUnprotect(hub, connectionId, value, out _));
    }

    [Fact]
    public void Fields_are_length_prefixed_so_moving_a_boundary_does_not_verify()
    {
        var protector = Protector(KeyA);
        var value = protector.Protect("hub", "ab", "c"u8);
        Assert.Equal(StateVerification.Invalid, protector.TryUnprotect("hub", "a", value.Replace("v1.Yw.", "v1.YmM.", StringComparison.Ordinal), out _));
    }

    [Fact]
    public void Rotation_accepts_the_previous_key_during_the_overlap_and_not_after()
    {
        var old = Protector(KeyA).Protect("restaurant", "conn-1", Payload);

        Assert.Equal(StateVerification.Previous, Protector(KeyB, KeyA).TryUnprotect("restaurant", "conn-1", old, out var payload));
        Assert.Equal(Payload, payload);
        Assert.Equal(StateVerification.Invalid, Protector(KeyB).TryUnprotect("restaurant", "conn-1", old, out _));
        var fresh = Protector(KeyB, KeyA).Protect("restaurant", "conn-1", Payload);
        Assert.Equal(StateVerification.Current, Protector(KeyB).TryUnprotect("restaurant", "conn-1", fresh, out _));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("v1.")]
    [InlineData("v1..")]
    [InlineData("v2.e30.AAAA")]
    [InlineData("{\"authenticated\":true}")]
    [InlineData("v1.e30.not base64!")]
    public void Garbage_is_invalid_and_never_throws(string? value) =>
        Assert.Equal(StateVerification.Invalid, Protector(KeyA).TryUnprotect("restaurant", "conn-1", value, out _));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("c2hvcnQ=")]
    [InlineData("not base64 at all")]
    public void A_missing_or_weak_key_fails_at_construction_naming_the_setting(string? key)
    {
        var error = Assert.Throws<OptionsValidationException>(() => Protector(key!));
        Assert.Contains("ConnectionStateProtection:Key", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_weak_previous_key_fails_at_construction()
    {
        var error = Assert.Throws<OptionsValidationException>(() => Protector(KeyA, Convert.ToBase64String(Encoding.UTF8.GetBytes("short"))));
        Assert.Contains("ConnectionStateProtection:PreviousKeys:0", error.Message, StringComparison.Ordinal);
    }
}
