using RestaurantOs.Realtime.Protocol;

namespace RestaurantOs.Realtime.Services;

/// <summary>Collects field errors for one request; empty means valid.</summary>
internal sealed class Validation
{
    public const int MaxItems = 200;
    public const int MaxText = 500;
    public const int MaxName = 120;
    public const long MaxMoney = 100_000_000; // one million in cents
    public const int MaxQuantity = 999;
    public const int MaxModifiers = 20;
    public const int MaxSeatNumber = 100;
    public const int MaxTableSeats = 100;
    public const double MaxCoordinate = 100_000;
    public const int MaxOrderNumber = 32;
    public const int MaxItemId = 64;

    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    public bool IsValid => _errors.Count == 0;

    public void Add(string field, string message)
    {
        if (!_errors.TryGetValue(field, out var list))
        {
            _errors[field] = list = [];
        }

        list.Add(message);
    }

    public void Require(bool condition, string field, string message)
    {
        if (!condition)
        {
            Add(field, message);
        }
    }

    /// <summary>
    /// Every text field of every request goes through here: length, emptiness and <see cref="TextPolicy"/>
    /// (no control or bidi-override characters; <paramref name="multiLine"/> fields may hold tabs and line breaks).
    /// </summary>
    public void Text(string? value, string field, int max, bool required = false, bool multiLine = false)
    {
        if (value is null)
        {
            Require(!required, field, "is required.");
            return;
        }

        Require(!required || !string.IsNullOrWhiteSpace(value), field, "must not be empty.");
        Require(value.Length <= max, field, $"must be at most {max} characters.");
        if (TextPolicy.Check(value, multiLine) is { } problem)
        {
            Add(field, problem);
        }
    }

    public void Money(long value, string field) =>
        Require(value is >= 0 and <= MaxMoney, field, $"must be between 0 and {MaxMoney} cents.");

    /// <summary>Table numbers become part of group names, so they follow the very rule of subscription filters.</summary>
    public void TableNumber(string? value, string field)
    {
        if (value is not null)
        {
            Require(ClientMessageParser.IsValidTableNumber(value), field, "must be 1-32 letters, digits, '-' or '_', starting with a letter or digit.");
        }
    }

    public ServiceError ToError() =>
        Errors.Validation(_errors.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray(), StringComparer.Ordinal));
}
