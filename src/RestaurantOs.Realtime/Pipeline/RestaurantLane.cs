using RestaurantOs.Realtime.Ports;

namespace RestaurantOs.Realtime.Pipeline;

/// <summary>One restaurant's changes of a feed page, in commit order: the unit that runs in order on its own lane.</summary>
public sealed record RestaurantLane(Guid RestaurantId, IReadOnlyList<StoreChange> Changes)
{
    /// <summary>
    /// Splits a page into lanes. Each lane keeps its restaurant's changes in page (commit) order; lanes are ordered by
    /// their first change, so the restaurant that waited longest starts first.
    /// </summary>
    public static IReadOnlyList<RestaurantLane> Split(IReadOnlyList<StoreChange> changes)
    {
        ArgumentNullException.ThrowIfNull(changes);
        var byRestaurant = new Dictionary<Guid, List<StoreChange>>();
        var lanes = new List<(Guid RestaurantId, List<StoreChange> Changes)>();
        foreach (var change in changes)
        {
            if (!byRestaurant.TryGetValue(change.RestaurantId, out var laneChanges))
            {
                laneChanges = [];
                byRestaurant.Add(change.RestaurantId, laneChanges);
                lanes.Add((change.RestaurantId, laneChanges));
            }

            laneChanges.Add(change);
        }

        return [.. lanes.Select(l => new RestaurantLane(l.RestaurantId, l.Changes))];
    }
}
