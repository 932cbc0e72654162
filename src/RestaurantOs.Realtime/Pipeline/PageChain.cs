using RestaurantOs.Realtime.Ports;

namespace RestaurantOs.Realtime.Pipeline;

/// <summary>
/// The pages and lanes the event pipeline has in flight, in the order they were read, and where the next read starts.
/// </summary>
/// <remarks>
/// <para>Reading on before a page is published is what keeps a write from waiting for the pages ahead of it, and this
/// class is what keeps that safe:</para>
/// <list type="bullet">
/// <item>each restaurant's lane is chained to that restaurant's previous lane, so it starts only when that one ended;</item>
/// <item>each page is chained to the page read before it, so checkpoints are written in read order;</item>
/// <item>a lane or page that failed holds the lanes and pages chained to it.</item>
/// </list>
/// <para>A failure also starts a new generation: reads start from the checkpoint again, and links to the failed
/// generation still order the new one but no longer hold it.</para>
/// </remarks>
internal sealed class PageChain
{
    private readonly Lock _sync = new();
    private readonly Dictionary<Guid, ChainedLane> _laneTails = [];
    private string? _readPosition;
    private int _generation;
    private FeedPage? _lastPage;

    /// <summary>Where the next read starts (null: at the checkpoint), and the generation it belongs to.</summary>
    public (string? After, int Generation) NextRead()
    {
        lock (_sync)
        {
            return (_readPosition, _generation);
        }
    }

    /// <summary>
    /// Chains a page read in <paramref name="generation"/> behind the pages and lanes already in flight. Returns null,
    /// and chains nothing, when a failure started a new generation during the read: the page was read from a position
    /// that no longer holds, and the caller reads again.
    /// </summary>
    public FeedPage? Append(int generation, ChangeBatch batch, bool full)
    {
        var lanes = RestaurantLane.Split(batch.Changes);
        lock (_sync)
        {
            if (generation != _generation)
            {
                return null;
            }

            if (batch.Continuation is not null)
            {
                _readPosition = batch.Continuation;
            }

            var chained = new List<ChainedLane>(lanes.Count);
            foreach (var lane in lanes)
            {
                _laneTails.TryGetValue(lane.RestaurantId, out var previous);
                var link = new ChainedLane(lane, generation, previous);
                _laneTails[lane.RestaurantId] = link;
                chained.Add(link);
            }

            _lastPage = new FeedPage(generation, batch, chained, _lastPage, full);
            return _lastPage;
        }
    }

    /// <summary>A page of <paramref name="generation"/> failed: the next read starts at the checkpoint.</summary>
    public void Restart(int generation)
    {
        lock (_sync)
        {
            if (generation == _generation)
            {
                _generation++;
                _readPosition = null;
            }
        }
    }

    /// <summary>Forgets a finished lane unless a later lane of its restaurant is chained to it.</summary>
    public void Finished(ChainedLane lane)
    {
        lock (_sync)
        {
            if (_laneTails.TryGetValue(lane.Lane.RestaurantId, out var tail) && ReferenceEquals(tail, lane))
            {
                _laneTails.Remove(lane.Lane.RestaurantId);
            }
        }
    }
}

/// <summary>A restaurant's lane of one page, chained to that restaurant's lane of an earlier page.</summary>
internal sealed class ChainedLane(RestaurantLane lane, int generation, ChainedLane? previous)
{
    private readonly TaskCompletionSource<bool> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ChainedLane? _previous = previous;

    public RestaurantLane Lane { get; } = lane;

    public int Generation { get; } = generation;

    /// <summary>
    /// Waits until the restaurant's previous lane ended. False when it failed in this generation: this lane would
    /// publish past the gap, so it must not run.
    /// </summary>
    public async Task<bool> PreviousSucceededAsync(CancellationToken cancellationToken)
    {
        if (_previous is not { } previous)
        {
            return true;
        }

        var succeeded = await previous._done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        _previous = null; // the chain behind a finished lane is not kept alive
        return succeeded || previous.Generation != Generation;
    }

    public void Complete(bool succeeded) => _done.TrySetResult(succeeded);
}

/// <summary>A page of the feed, chained to the page read before it.</summary>
internal sealed class FeedPage(int generation, ChangeBatch batch, IReadOnlyList<ChainedLane> lanes, FeedPage? previous, bool full)
{
    private readonly TaskCompletionSource<bool> _settled = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private FeedPage? _previous = previous;

    public int Generation { get; } = generation;

    public ChangeBatch Batch { get; } = batch;

    public IReadOnlyList<ChainedLane> Lanes { get; } = lanes;

    /// <summary>The page held a full batch, or the read left changes behind: more may be waiting.</summary>
    public bool Full { get; } = full;

    /// <summary>
    /// Waits until the page before this one is settled. False when it was not checkpointed in this generation: an
    /// earlier page failed, so this page's position must not be checkpointed either.
    /// </summary>
    public async Task<bool> PreviousCheckpointedAsync(CancellationToken cancellationToken)
    {
        if (_previous is not { } previous)
        {
            return true;
        }

        var checkpointed = await previous._settled.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        _previous = null;
        return checkpointed || previous.Generation != Generation;
    }

    public void Settle(bool checkpointed) => _settled.TrySetResult(checkpointed);
}
