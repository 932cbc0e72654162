using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using RestaurantOs.Functions.Http;
using RestaurantOs.Realtime.Contracts;
using RestaurantOs.Realtime.Events;
using RestaurantOs.Realtime.Ports;
using RestaurantOs.Realtime.Protocol;
using RestaurantOs.Realtime.Routing;
using RestaurantOs.Realtime.Services;

namespace RestaurantOs.Functions.Functions;

/// <summary>History over HTTP (paged) and the health probe.</summary>
public sealed class EventsFunctions(CallerAuthenticator authenticator, HistoryCatchUp catchUp, IEventHistory history, TimeProvider time)
{
    /// <summary>Events per page when the caller gives no <c>limit</c>: a <c>resume</c> replay's size.</summary>
    public const int DefaultPageSize = HistoryCatchUp.MaxReplayEvents;

    /// <summary>Largest <c>limit</c> accepted.</summary>
    public const int MaxPageSize = 1_000;

    /// <summary>
    /// <c>GET /api/events?since=N&amp;limit=L</c>: one page of the events after seq <c>N</c> that the caller's role may
    /// see (no subscription narrowing over HTTP), in seq order, as a <c>replay</c> whose <c>next</c> is the
    /// <c>since</c> of the following page and <c>has_more</c> says whether to ask for it. A <c>resync</c> when
    /// history no longer reaches back to <c>N</c> or <c>N</c> was never assigned.
    /// </summary>
    [Function(nameof(CatchUp))]
    public Task<IActionResult> CatchUp(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "events")] HttpRequest request,
        CancellationToken cancellationToken) =>
        authenticator.HandleAsync(request, async caller =>
        {
            if (!TryReadWhole(request.Query["since"], 0, long.MaxValue, 0, out var since))
            {
                return ApiResults.BadRequest("'since' must be a whole number of 0 or more: the last seq you applied (or the 'next' of the previous page).", "INVALID_SINCE");
            }

            if (!TryReadWhole(request.Query["limit"], 1, MaxPageSize, DefaultPageSize, out var limit))
            {
                return ApiResults.BadRequest($"'limit' must be a whole number from 1 to {MaxPageSize}: the most events in one page.", "INVALID_LIMIT");
            }

            var read = await catchUp.ReadVisibleAsync(caller, new SubscriptionSet([]), since, (int)limit, cancellationToken);
            var now = time.GetUtcNow();
            var reply = read.End switch
            {
                VisibleHistoryEnd.UnknownSeq => EventFactory.Resync(since, read.LatestSeq, "unknown_seq", now),
                VisibleHistoryEnd.HistoryExpired => EventFactory.Resync(since, read.LatestSeq, "history_expired", now),
                _ => EventFactory.Reply(
                    EventTypes.Replay,
                    new HistoryPageData(since, read.LatestSeq, read.Events, read.Next, read.HasMore),
                    RealtimeJsonContext.Default.HistoryPageData,
                    now),
            };
            return ApiResults.Json(reply, FunctionsJsonContext.Default.RealtimeEvent);
        }, cancellationToken);

    [Function(nameof(Health))]
    public async Task<IActionResult> Health(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health")] HttpRequest request,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        try
        {
            // A cheap read proves the store answers; the nil restaurant never has events.
            await history.ReadAfterAsync(Guid.Empty, 0, 1, cancellationToken);
            return ApiResults.Json(new HealthReport("healthy", "ok", time.GetUtcNow()), FunctionsJsonContext.Default.HealthReport);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return ApiResults.Json(new HealthReport("unhealthy", ex.GetType().Name, time.GetUtcNow()), FunctionsJsonContext.Default.HealthReport, StatusCodes.Status503ServiceUnavailable);
        }
    }

    /// <summary>A query value given once, digits only, within [min, max]; absent means <paramref name="fallback"/>.</summary>
    private static bool TryReadWhole(Microsoft.Extensions.Primitives.StringValues values, long min, long max, long fallback, out long value)
    {
        value = fallback;
        if (values.Count == 0)
        {
            return true;
        }

        return values.Count == 1
            && long.TryParse(values[0], NumberStyles.None, CultureInfo.InvariantCulture, out value)
            && value >= min && value <= max;
    }
}
