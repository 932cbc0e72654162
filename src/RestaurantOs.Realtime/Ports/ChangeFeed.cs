using System.Text.Json;

namespace RestaurantOs.Realtime.Ports;

public enum DocumentKind
{
    Order,
    Table,
    Payment,
    Notification,
}

/// <summary>One committed write as the change feed reports it: the document after the write.</summary>
/// <param name="ChangeId">Unique per write (document id + version, or the change-log row): the source of event ids.</param>
/// <param name="TraceParent">
/// The W3C <c>traceparent</c> of the activity that wrote it, when the write was traced: the parent of the publish the
/// change leads to. Kept beside the document, never inside it, so it reaches no client.
/// </param>
public sealed record StoreChange(
    string ChangeId,
    DocumentKind Kind,
    Guid RestaurantId,
    string DocumentId,
    JsonElement Document,
    DateTimeOffset CommittedAt,
    string? TraceParent = null);

/// <summary>
/// A page of changes and the opaque position after it: null when nothing moved (nothing to checkpoint), otherwise the
/// whole position of what the reader holds, so passing it back as <c>after</c> reads what follows the page.
/// </summary>
/// <param name="HasMore">
/// The read left changes behind to stay within its page size although the page is not full (a page with as many
/// changes as asked for may have more behind it as well).
/// </param>
public sealed record ChangeBatch(IReadOnlyList<StoreChange> Changes, string? Continuation, bool HasMore = false)
{
    /// <summary>Whether a reader that asked for <paramref name="maxChanges"/> should read again at once.</summary>
    public bool MayHaveMore(int maxChanges) => HasMore || Changes.Count >= maxChanges;
}

/// <summary>
/// Reads committed changes in commit order per restaurant, at least once. Each named consumer (for example
/// "events" and "kds") keeps its own checkpoint; a consumer that crashes before <see cref="CheckpointAsync"/>
/// reads the same changes again.
/// </summary>
public interface IChangeFeed
{
    /// <summary>
    /// Reads up to <paramref name="maxChanges"/> changes. With <paramref name="after"/> null the read starts at the
    /// consumer's checkpoint; otherwise after that continuation, which must come from an earlier read of the same
    /// consumer in this process (a reader that publishes pages while reading the next one reads ahead of its
    /// checkpoint this way). A position the checkpoint has already passed is never read again from
    /// <paramref name="after"/> where the store can tell, and parts of the feed the reader did not hold when
    /// <paramref name="after"/> was returned start at their checkpoint.
    /// </summary>
    Task<ChangeBatch> ReadAsync(string consumer, int maxChanges, string? after, CancellationToken cancellationToken);

    Task CheckpointAsync(string consumer, string? continuation, CancellationToken cancellationToken);
}

public static class ChangeFeedExtensions
{
    /// <summary>Reads up to <paramref name="maxChanges"/> changes from the consumer's checkpoint.</summary>
    public static Task<ChangeBatch> ReadAsync(this IChangeFeed feed, string consumer, int maxChanges, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(feed);
        return feed.ReadAsync(consumer, maxChanges, after: null, cancellationToken);
    }
}
