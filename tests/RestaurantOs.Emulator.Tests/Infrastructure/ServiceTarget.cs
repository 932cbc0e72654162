namespace RestaurantOs.Emulator.Tests.Infrastructure;

/// <summary>A Web PubSub service the conformance suite runs against: the emulator or a real Azure resource.</summary>
public interface IServiceTarget
{
    Uri Endpoint { get; }

    string AccessKey { get; }

    /// <summary>A hub without event handlers, for tests that need only REST and client protocols.</summary>
    string Hub { get; }

    /// <summary>True for the local emulator (tests needing emulator-only control run only there).</summary>
    bool IsEmulator { get; }
}
