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

/// <summary>A page of changes and the opaque position after it.</summary>
public sealed record ChangeBatch(IReadOnlyList<StoreChange> Changes, string? Continuation);

/// <summary>
/// Reads committed changes in commit order per restaurant, at least once. Each named consumer (for example
/// "events" and "kds") keeps its own checkpoint; a consumer that crashes before <see cref="CheckpointAsync"/>
/// reads the same changes again.
/// </summary>
public interface IChangeFeed
{
    Task<ChangeBatch> ReadAsync(string consumer, int maxChanges, CancellationToken cancellationToken);

    Task CheckpointAsync(string consumer, string? continuation, CancellationToken cancellationToken);
}
