using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace RestaurantOs.Functions.Composition;

/// <summary>
/// Honours <c>LOG_LEVEL</c> (as the seed's Debugging section documents: <c>LOG_LEVEL=debug</c>) for the project's
/// own categories, on top of host.json / appsettings levels.
/// </summary>
public static class LogLevelSetting
{
    public const string Key = "LOG_LEVEL";

    public static ILoggingBuilder AddLogLevelSetting(this ILoggingBuilder logging, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(logging);
        ArgumentNullException.ThrowIfNull(configuration);
        if (TryParse(configuration[Key], out var level))
        {
            logging.AddFilter("RestaurantOs", level);
        }

        return logging;
    }

    public static bool TryParse(string? value, out LogLevel level)
    {
        level = LogLevel.Information;
        return value?.Trim().ToLowerInvariant() switch
        {
            "trace" => Set(LogLevel.Trace, out level),
            "debug" => Set(LogLevel.Debug, out level),
            "info" or "information" => Set(LogLevel.Information, out level),
            "warn" or "warning" => Set(LogLevel.Warning, out level),
            "error" => Set(LogLevel.Error, out level),
            _ => false,
        };
    }

    private static bool Set(LogLevel value, out LogLevel level)
    {
        level = value;
        return true;
    }
}
