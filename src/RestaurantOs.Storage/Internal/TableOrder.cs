using RestaurantOs.Realtime.Contracts;

namespace RestaurantOs.Storage.Internal;

internal static class TableOrder
{
    /// <summary>Tables are listed by label (natural for a floor plan), then id, the same in every store.</summary>
    public static IReadOnlyList<Table> Sort(IEnumerable<Table> tables) =>
        [.. tables.OrderBy(t => t.Label, StringComparer.Ordinal).ThenBy(t => t.Id)];
}
