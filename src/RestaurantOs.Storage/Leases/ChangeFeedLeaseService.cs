using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace RestaurantOs.Storage.Leases;

/// <summary>
/// Keeps this instance's change-feed leases alive between reads (renewing at a third of the lease duration, so a
/// long batch does not lose them) and gives them back when the host stops, so the next instance reads at once
/// instead of waiting for them to expire. Registered by <c>AddRestaurantOsStorage</c> before the hosts' own
/// services, so it stops after the pumps that read the feed.
/// </summary>
internal sealed partial class ChangeFeedLeaseService(ChangeFeedLeaseManager leases, TimeProvider time, ILogger<ChangeFeedLeaseService> logger)
    : IHostedService, IDisposable
{
    private readonly CancellationTokenSource stopping = new();
    private Task loop = Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        loop = RenewLoopAsync(stopping.Token);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await loop.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The loop ends by cancellation.
        }

        await leases.ReleaseAsync(cancellationToken).ConfigureAwait(false);
        Log.Released(logger, leases.OwnerId);
    }

    private async Task RenewLoopAsync(CancellationToken ct)
    {
        await Task.Yield();
        using var timer = new PeriodicTimer(leases.RenewInterval, time);
        while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
        {
            try
            {
                await leases.RenewAsync(ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The next round (or the next read) tries again; until then the leases run down towards expiry.
                Log.RenewFailed(logger, ex);
            }
        }
    }

    public void Dispose() => stopping.Dispose();

    private static partial class Log
    {
        [LoggerMessage(EventId = 4023, Level = LogLevel.Information, Message = "Change-feed leases of {Instance} released")]
        public static partial void Released(ILogger logger, string instance);

        [LoggerMessage(EventId = 4024, Level = LogLevel.Warning, Message = "Renewing change-feed leases failed; retrying next round")]
        public static partial void RenewFailed(ILogger logger, Exception exception);
    }
}
