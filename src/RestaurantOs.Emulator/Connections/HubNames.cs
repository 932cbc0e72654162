using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace RestaurantOs.Emulator.Connections;

/// <summary>Name rules of the Web PubSub data plane (hub regex, group length, non-empty ids).</summary>
internal static partial class HubNames
{
    public const int MaxGroupNameLength = 1024;

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9_`,.\[\]]{0,127}$", RegexOptions.CultureInvariant)]
    private static partial Regex HubRegex();

    public static bool IsValidHub([NotNullWhen(true)] string? hub) => hub is not null && HubRegex().IsMatch(hub);

    /// <summary>Hubs are case-insensitive in the service; the registry and upstream headers use the lower-case form.</summary>
    public static string Normalize(string hub) => hub.ToLowerInvariant();

    public static bool IsValidGroup([NotNullWhen(true)] string? group) =>
        !string.IsNullOrEmpty(group) && group.Length <= MaxGroupNameLength && !string.IsNullOrWhiteSpace(group);
}
