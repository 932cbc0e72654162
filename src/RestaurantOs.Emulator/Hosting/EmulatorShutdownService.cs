using Microsoft.Extensions.Hosting;
using RestaurantOs.Emulator.Connections;
using RestaurantOs.Emulator.Transport;

namespace RestaurantOs.Emulator.Hosting;

/// <summary>
/// Ends every client connection with 1001 (going away) when the host stops, and waits (bounded) for their
/// <c>disconnected</c> upstream events before the web server stops, so the app still answers them.
/// </summary>
/// <remarks>
/// The host calls <see cref="StoppingAsync"/> before any hosted service's <c>StopAsync</c>, so before Kestrel stops
/// serving: the upstream calls of the closing connections reach an app that is still up. It signals
/// <see cref="IHostApplicationLifetime.ApplicationStopping"/> first (a no-op when SIGTERM already did), which is the
/// signal a host uses to refuse new connections during the drain (DevHost answers the upgrade with 503). Without the
/// close, the server would also wait its whole shutdown timeout for WebSocket requests that never end on their own.
/// </remarks>
internal sealed class EmulatorShutdownService(
    IHostApplicationLifetime lifetime,
    ConnectionManager connections,
    MessageBroadcaster broadcaster,
    TimeProvider timeProvider) : IHostedLifecycleService
{
    /// <summary>Longest wait for closing connections and their <c>disconnected</c> events; the shutdown goes on after it.</summary>
    internal static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(10);

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);
    private CancellationTokenRegistration _registration;

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _registration = lifetime.ApplicationStopping.Register(() => CloseAll());
        return Task.CompletedTask;
    }

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        lifetime.StopApplication();
        var closing = CloseAll();
        using var timeout = new CancellationTokenSource(DrainTimeout, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            await DrainAsync(closing, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Bounded on purpose: a client that never answers the close, or a slow upstream, must not hold the stop.
        }
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        // Also here, for connections that opened after the stop began.
        CloseAll();
        _registration.Dispose();
        return Task.CompletedTask;
    }

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Closes every open connection with 1001; returns each with its system-event chain before the close.</summary>
    private List<(ClientConnection Connection, Task EventsBefore)> CloseAll()
    {
        var closing = new List<(ClientConnection, Task)>();
        foreach (var connection in connections.AllConnections())
        {
            // Read the chain before checking the registration: a connection still registered afterwards has not
            // queued its disconnected event yet (the handler queues it after removing the connection).
            var before = connection.SystemEventsCompletion;
            if (connections.TryGet(connection.Hub, connection.ConnectionId, out _))
            {
                closing.Add((connection, before));
                broadcaster.Close(connection, CloseReasons.ShuttingDownCode, CloseReasons.ShuttingDown);
            }
        }

        return closing;
    }

    private async Task DrainAsync(List<(ClientConnection Connection, Task EventsBefore)> closing, CancellationToken cancellationToken)
    {
        foreach (var (connection, before) in closing)
        {
            // The handler removes a connection and then queues its disconnected event on the connection's event
            // chain; the chain moving past what it was at the close is how that event is known to be queued.
            while (connections.TryGet(connection.Hub, connection.ConnectionId, out _) || ReferenceEquals(connection.SystemEventsCompletion, before))
            {
                await Task.Delay(PollInterval, timeProvider, cancellationToken).ConfigureAwait(false);
            }

            await connection.SystemEventsCompletion.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
