using System.Net.WebSockets;
using System.Text;
using RestaurantOs.EndToEnd.Tests.Infrastructure;

namespace RestaurantOs.EndToEnd.Tests;

/// <summary>
/// Client frames whose bytes are not UTF-8, on the seed-compatible endpoint: a text frame gets
/// <c>error INVALID_MESSAGE</c> and then close 1007 (invalid payload), never a silent drop.
/// </summary>
public sealed class Utf8FrameTests(DevHostFixture host) : IClassFixture<DevHostFixture>
{
    public static TheoryData<byte[]> BadBytes => new()
    {
        new byte[] { 0xFF },
        new byte[] { 0xC3, 0x28 },
        new byte[] { 0xED, 0xA0, 0x80 },
    };

    [Theory]
    [MemberData(nameof(BadBytes))]
    public async Task An_invalid_UTF8_text_frame_gets_INVALID_MESSAGE_then_1007(byte[] bad)
    {
        await using var client = await host.ConnectAsync(await host.TokenAsync(Guid.NewGuid(), "server"), "bad-utf8");
        await client.SendBytesAsync(Frame(bad));
        await client.ReceiveErrorAsync("INVALID_MESSAGE");
        Assert.Equal(WebSocketCloseStatus.InvalidPayloadData, await client.WaitForCloseAsync());
    }

    [Fact]
    public async Task A_valid_frame_with_non_ASCII_text_in_an_ignored_field_is_answered()
    {
        await using var client = await host.ConnectAsync(await host.TokenAsync(Guid.NewGuid(), "server"), "good-utf8");
        await client.SendAsync("""{"type":"ping","x":"café ☕ 👩‍🍳"}""");
        await client.ReceiveTypeAsync("pong");
        Assert.False(client.IsClosed);
    }

    private static byte[] Frame(byte[] bad) =>
        [.. Encoding.UTF8.GetBytes("{\"type\":\"ping\",\"x\":\""), .. bad, .. Encoding.UTF8.GetBytes("\"}")];
}
