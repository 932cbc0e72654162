using Microsoft.Extensions.Options;

namespace RestaurantOs.Realtime.Pipeline;

/// <summary>
/// How the event pipeline reads and publishes (configuration section <c>Pipeline</c>). Events of one restaurant are
/// always published one at a time in seq order; <see cref="MaxConcurrency"/> bounds how many restaurants are worked on
/// at once.
/// </summary>
public sealed class PipelineOptions
{
    public const string SectionName = "Pipeline";

    /// <summary>Upper bound of <see cref="MaxConcurrency"/>.</summary>
    public const int MaxAllowedConcurrency = 1024;

    /// <summary>Upper bound of <see cref="BatchSize"/> (the stores' page size limit).</summary>
    public const int MaxAllowedBatchSize = 10_000;

    /// <summary>
    /// Restaurant lanes in flight at once. Each lane has at most one store or Web PubSub call outstanding, so this is
    /// also the bound on concurrent calls. 32 lanes at 10 ms per call publish about 3,200 events/s, about three times
    /// the 10× rush load of 50 restaurants, while staying small next to the connection pools of the HTTP and Cosmos
    /// clients; raise it when more restaurants are busy at once than lanes are free.
    /// </summary>
    public int MaxConcurrency { get; set; } = 32;

    /// <summary>Upper bound of <see cref="PagesInFlight"/>.</summary>
    public const int MaxAllowedPagesInFlight = 64;

    /// <summary>
    /// Feed pages an instance publishes at once. A write signals the pump, which reads at once while earlier pages are
    /// still publishing, so a write does not wait for the pages ahead of it; a restaurant's lanes still run one after
    /// another and pages are checkpointed in read order. 1 reads the next page only when the previous one is
    /// checkpointed. Each page in flight costs one feed read, so this also bounds the reads a burst of writes causes.
    /// </summary>
    public int PagesInFlight { get; set; } = 4;

    /// <summary>
    /// Changes read per feed page. A page is the unit of checkpointing: a larger page gives more restaurants to run at
    /// once but makes a failed lane repeat more work.
    /// </summary>
    public int BatchSize { get; set; } = 100;

    /// <summary>
    /// While the feed is active, how often an instance reads it again without being signalled. A write signals the
    /// pump of the instance that committed it, but with several instances the feed range holding that restaurant may
    /// be leased by another one, which would otherwise only see the write at its next <c>ChangeFeed</c> timer tick.
    /// <see cref="TimeSpan.Zero"/> turns following off (signals and the timer only).
    /// </summary>
    public TimeSpan FollowInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// How long an instance keeps following the feed after its last signal or published event. An idle instance
    /// then costs no reads; a write after a quiet spell is published at once by the instance that committed it when that
    /// instance holds the write's feed range, and at the holder's next <c>ChangeFeed</c> timer tick otherwise.
    /// </summary>
    public TimeSpan FollowWindow { get; set; } = TimeSpan.FromMinutes(2);
}

/// <summary>Start-up validation of <see cref="PipelineOptions"/>; every message names the setting to fix.</summary>
internal sealed class PipelineOptionsValidator : IValidateOptions<PipelineOptions>
{
    public ValidateOptionsResult Validate(string? name, PipelineOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.MaxConcurrency is < 1 or > PipelineOptions.MaxAllowedConcurrency)
        {
            failures.Add($"{PipelineOptions.SectionName}:MaxConcurrency must be between 1 and {PipelineOptions.MaxAllowedConcurrency}; got {options.MaxConcurrency} (env Pipeline__MaxConcurrency).");
        }

        if (options.PagesInFlight is < 1 or > PipelineOptions.MaxAllowedPagesInFlight)
        {
            failures.Add($"{PipelineOptions.SectionName}:PagesInFlight must be between 1 and {PipelineOptions.MaxAllowedPagesInFlight}; got {options.PagesInFlight} (env Pipeline__PagesInFlight).");
        }

        if (options.BatchSize is < 1 or > PipelineOptions.MaxAllowedBatchSize)
        {
            failures.Add($"{PipelineOptions.SectionName}:BatchSize must be between 1 and {PipelineOptions.MaxAllowedBatchSize}; got {options.BatchSize} (env Pipeline__BatchSize).");
        }

        if (options.FollowInterval < TimeSpan.Zero || options.FollowInterval > TimeSpan.FromMinutes(1))
        {
            failures.Add($"{PipelineOptions.SectionName}:FollowInterval must be between 00:00:00 (off) and 00:01:00; got {options.FollowInterval} (env Pipeline__FollowInterval).");
        }

        if (options.FollowWindow < TimeSpan.Zero || options.FollowWindow > TimeSpan.FromHours(1))
        {
            failures.Add($"{PipelineOptions.SectionName}:FollowWindow must be between 00:00:00 and 01:00:00; got {options.FollowWindow} (env Pipeline__FollowWindow).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
