using System.Buffers;
using System.Net.WebSockets;

namespace RestaurantOs.Bench.Infrastructure;

internal delegate void FrameHandler(ReadOnlySpan<byte> frame, long arrivalTimestamp);

/// <summary>Reads whole WebSocket messages until the socket closes, handing each to a callback with its arrival time.</summary>
internal static class FrameReader
{
    public static async Task RunAsync(WebSocket socket, FrameHandler onFrame, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(4096);
        var filled = 0;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                if (filled == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, filled).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var result = await socket.ReceiveAsync(buffer.AsMemory(filled), cancellationToken).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                filled += result.Count;
                if (result.EndOfMessage)
                {
                    onFrame(buffer.AsSpan(0, filled), System.Diagnostics.Stopwatch.GetTimestamp());
                    filled = 0;
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // Closed or aborted: the scenario counts connections that drop early.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
