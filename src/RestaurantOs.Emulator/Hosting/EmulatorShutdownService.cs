using RestaurantOs.Emulator.Transport;
using Microsoft.Extensions.Hosting;
using RestaurantOs.Emulator.Connections;

namespace RestaurantOs.Emulator.Hosting;

/// <summary>
/// When the host starts stopping (before the web server drains its requests), closes every client connection
/// with 1001 (going away). Without it the server would wait its whole shutdown timeout for WebSocket requests
/// that never end on their own.
/// </summary>
internal sealed class EmulatorShutdownService(IHostApplicationLifetime lifetime, ConnectionManager connections, MessageBroadcaster broadcaster) : IHostedService
{
    private CancellationTokenRegistration _registration;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _registration = lifetime.ApplicationStopping.Register(CloseAll);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        // Also here, for connections that opened after ApplicationStopping fired.
        CloseAll();
        _registration.Dispose();
        return Task.CompletedTask;
    }

    private void CloseAll()
    {
        foreach (var connection in connections.AllConnections())
        {
            broadcaster.Close(connection, CloseReasons.ShuttingDownCode, CloseReasons.ShuttingDown);
        }
    }
}
