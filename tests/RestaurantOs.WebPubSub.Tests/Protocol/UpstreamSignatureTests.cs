using RestaurantOs.WebPubSub.Protocol;

namespace RestaurantOs.WebPubSub.Tests.Protocol;

public sealed class UpstreamSignatureTests
{
    // Test vector from the Functions extension tests (reference §4.2).
    private const string Key = "7aab239577fd4f24bc919802fb629f5f";
    private const string ConnectionId = "0f9c97a2f0bf4706afe87a14e0797b11";
    private const string Expected = "sha256=7767effcb3946f3e1de039df4b986ef02c110b1469d02c0a06f41b3b727ab561";

    [Fact]
    public void Compute_matches_the_reference_test_vector()
    {
        Assert.Equal(Expected, UpstreamSignature.Compute(ConnectionId, [Key]));
    }

    [Fact]
    public void Compute_joins_one_entry_per_key_with_commas()
    {
        var value = UpstreamSignature.Compute(ConnectionId, [Key, "secondary-key"]);
        var parts = value.Split(',');
        Assert.Equal(2, parts.Length);
        Assert.Equal(Expected, parts[0]);
        Assert.StartsWith("sha256=", parts[1], StringComparison.Ordinal);
        Assert.NotEqual(parts[0], parts[1]);
    }

    [Fact]
    public void Compute_without_keys_throws()
    {
        Assert.Throws<ArgumentException>(() => UpstreamSignature.Compute(ConnectionId, []));
    }

    [Theory]
    [InlineData(Expected, true)]
    [InlineData("SHA256=7767EFFCB3946F3E1DE039DF4B986EF02C110B1469D02C0A06F41B3B727AB561", true)]
    [InlineData("sha256=0000000000000000000000000000000000000000000000000000000000000000, " + Expected, true)]
    [InlineData(Expected + ",sha256=abc", true)]
    [InlineData("sha256=7767effcb3946f3e1de039df4b986ef02c110b1469d02c0a06f41b3b727ab560", false)]
    [InlineData("7767effcb3946f3e1de039df4b986ef02c110b1469d02c0a06f41b3b727ab561", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void Validate_accepts_any_matching_entry_ignoring_case(string? header, bool expected)
    {
        Assert.Equal(expected, UpstreamSignature.Validate(ConnectionId, header, [Key]));
    }

    [Fact]
    public void Validate_accepts_a_signature_made_with_any_configured_key()
    {
        var header = UpstreamSignature.Compute(ConnectionId, ["secondary-key"]);
        Assert.True(UpstreamSignature.Validate(ConnectionId, header, [Key, "secondary-key"]));
        Assert.False(UpstreamSignature.Validate(ConnectionId, header, [Key]));
    }

    [Fact]
    public void Validate_rejects_a_signature_for_another_connection_and_when_no_key_is_configured()
    {
        Assert.False(UpstreamSignature.Validate("other-connection", Expected, [Key]));
        Assert.False(UpstreamSignature.Validate(ConnectionId, Expected, []));
    }
}
