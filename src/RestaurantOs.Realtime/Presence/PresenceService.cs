using RestaurantOs.Realtime.Auth;
using RestaurantOs.Realtime.Services;

namespace RestaurantOs.Realtime.Presence;

/// <summary><c>GET /api/presence</c>: the caller's restaurant's screens, for the roles that receive the presence events.</summary>
public sealed class PresenceService(PresenceTracker tracker)
{
    public async Task<ServiceResult<PresenceList>> ListAsync(ConnectionIdentity caller, CancellationToken cancellationToken)
    {
        if (CallerGuard.Check(caller, HttpOperation.ReadPresence, null, "read station presence") is { } refused)
        {
            return refused;
        }

        return new ServiceResult<PresenceList>(await tracker.ListAsync(caller.RestaurantId, cancellationToken).ConfigureAwait(false), null);
    }
}
