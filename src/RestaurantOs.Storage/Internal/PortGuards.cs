using System.Buffers;
using RestaurantOs.Realtime.Contracts;

namespace RestaurantOs.Storage.Internal;

/// <summary>Argument checks shared by both implementations, so they reject the same programmer errors.</summary>
internal static class PortGuards
{
    public const int MaxPageSize = 10_000;
    public const int MaxEventIdLength = 255;

    private static readonly SearchValues<char> ConsumerChars =
        SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.");

    public static void Consumer(string consumer)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(consumer);
        if (consumer.Length > 100 || consumer.AsSpan().ContainsAnyExcept(ConsumerChars))
        {
            throw new ArgumentException(
                $"Consumer name '{consumer}' must be 1-100 characters of letters, digits, '-', '_' or '.'.", nameof(consumer));
        }
    }

    public static void PageSize(int size, string paramName)
    {
        if (size is < 1 or > MaxPageSize)
        {
            throw new ArgumentOutOfRangeException(paramName, size, $"Use 1..{MaxPageSize}.");
        }
    }

    /// <summary>Checks every event of a batch append and returns their one restaurant (empty when the list is).</summary>
    public static Guid OneRestaurant(IReadOnlyList<NewEvent> newEvents)
    {
        ArgumentNullException.ThrowIfNull(newEvents);
        var restaurantId = Guid.Empty;
        foreach (var newEvent in newEvents)
        {
            NewEvent(newEvent);
            if (restaurantId != Guid.Empty && newEvent.RestaurantId != restaurantId)
            {
                throw new ArgumentException(
                    $"A batch append takes the events of one restaurant; got {restaurantId} and {newEvent.RestaurantId}.", nameof(newEvents));
            }

            restaurantId = newEvent.RestaurantId;
        }

        return restaurantId;
    }

    public static void NewEvent(NewEvent newEvent)
    {
        ArgumentNullException.ThrowIfNull(newEvent);
        ArgumentException.ThrowIfNullOrWhiteSpace(newEvent.Id, nameof(newEvent));
        ArgumentException.ThrowIfNullOrWhiteSpace(newEvent.Type, nameof(newEvent));
        ArgumentNullException.ThrowIfNull(newEvent.Scope, nameof(newEvent));
        if (newEvent.Id.Length > MaxEventIdLength)
        {
            throw new ArgumentException($"Event id is longer than {MaxEventIdLength} characters.", nameof(newEvent));
        }

        if (newEvent.RestaurantId == Guid.Empty)
        {
            throw new ArgumentException("Event restaurant id is empty.", nameof(newEvent));
        }
    }
}
