using System.Globalization;
using Cronos;

namespace RestaurantOs.DevHost.FunctionHost;

/// <summary>A timer function's schedule as the Functions host reads it: a cron expression (with seconds) or a TimeSpan, or <c>%Setting%</c> naming either.</summary>
internal static class TimerSchedules
{
    public static Func<DateTimeOffset, DateTimeOffset> Resolve(string functionName, string schedule, IConfiguration configuration)
    {
        var expression = schedule;
        if (expression.Length > 2 && expression[0] == '%' && expression[^1] == '%')
        {
            var key = expression[1..^1];
            expression = configuration[key] ?? throw new InvalidOperationException(
                $"Timer function '{functionName}' reads its schedule from the setting '{key}', which is not set. Set it in appsettings.json or as an environment variable.");
        }

        if (TimeSpan.TryParse(expression, CultureInfo.InvariantCulture, out var interval) && interval > TimeSpan.Zero)
        {
            return now => now + interval;
        }

        var fields = expression.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        var cron = CronExpression.Parse(expression, fields == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard);
        return now => cron.GetNextOccurrence(now, TimeZoneInfo.Utc) ?? now.AddYears(1);
    }
}
