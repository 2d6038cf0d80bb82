using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization.Serializers;
using Orleans.Storage;

namespace DmVoice.Grains.Infrastructure;

/// <summary>
/// Grain state kept in this process's memory, for the embedded default (one silo, nothing to survive the
/// process). A read or write is a copy out of or into <see cref="InProcessStateStore"/>, in the caller's
/// turn. Orleans' memory storage makes each one a call to one of its storage grains instead: in the
/// benchmark that was 1.5 of the 3.7 grain calls of every REST operation (docs/BENCHMARKS.md).
/// State is stored as the storage serializer writes it, as in Redis, so no grain shares an object with
/// the store, and what is stored is what a Redis deployment would store. ETags are checked like every
/// store's: a write or clear that does not carry the stored ETag fails with
/// <see cref="InconsistentStateException"/> and changes nothing.
/// </summary>
public sealed class InProcessGrainStorage(
    string name,
    InProcessStateStore store,
    IGrainStorageSerializer serializer,
    IActivatorProvider activators) : IGrainStorage
{
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (store.TryRead(Key(stateName, grainId), out var stored))
        {
            grainState.State = serializer.Deserialize<T>(new BinaryData(stored.Data));
            grainState.ETag = stored.ETag;
            grainState.RecordExists = true;
        }
        else
        {
            grainState.State = activators.GetActivator<T>().Create();
            grainState.ETag = null;
            grainState.RecordExists = false;
        }

        return Task.CompletedTask;
    }

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        // A copy of exactly the written bytes: the serializer's buffer is larger, and kept for every
        // stored state of an embedded silo it would be most of what the store holds.
        var data = serializer.Serialize(grainState.State).ToArray();
        grainState.ETag = store.Write(Key(stateName, grainId), grainState.ETag, data);
        grainState.RecordExists = true;
        return Task.CompletedTask;
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        store.Clear(Key(stateName, grainId), grainState.ETag);
        grainState.State = activators.GetActivator<T>().Create();
        grainState.ETag = null;
        grainState.RecordExists = false;
        return Task.CompletedTask;
    }

    /// <summary>The provider named <paramref name="name"/> on <paramref name="store"/>, with the silo's serializer.</summary>
    public static InProcessGrainStorage Create(IServiceProvider services, string name, InProcessStateStore store) =>
        new(name, store, services.GetRequiredService<IGrainStorageSerializer>(), services.GetRequiredService<IActivatorProvider>());

    private InProcessStateStore.Key Key(string stateName, GrainId grainId) => new(name, stateName, grainId);
}

/// <summary>
/// The states of <see cref="InProcessGrainStorage"/> providers: one per silo in the embedded default;
/// silos of one process (the test cluster) can share one, as they would share a Redis server.
/// </summary>
public sealed class InProcessStateStore
{
    private readonly Dictionary<Key, Stored> _states = [];
    private readonly Lock _lock = new();
    private long _lastETag;

    /// <summary>A state of a grain in a storage provider.</summary>
    public readonly record struct Key(string Provider, string StateName, GrainId GrainId);

    /// <summary>What is stored: the serialized state and the ETag its write was given.</summary>
    public sealed record Stored(byte[] Data, string ETag);

    /// <summary>How many states are stored (for tests and diagnostics).</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _states.Count;
            }
        }
    }

    public bool TryRead(Key key, out Stored stored)
    {
        lock (_lock)
        {
            return _states.TryGetValue(key, out stored!);
        }
    }

    /// <summary>Stores <paramref name="data"/> if <paramref name="expectedETag"/> is the stored ETag (null: nothing stored); returns the new ETag.</summary>
    public string Write(Key key, string? expectedETag, byte[] data)
    {
        lock (_lock)
        {
            ThrowIfNotCurrent(key, expectedETag, "write");
            var etag = (++_lastETag).ToString(System.Globalization.CultureInfo.InvariantCulture);
            _states[key] = new Stored(data, etag);
            return etag;
        }
    }

    /// <summary>Removes the state if <paramref name="expectedETag"/> is the stored ETag (null: nothing stored).</summary>
    public void Clear(Key key, string? expectedETag)
    {
        lock (_lock)
        {
            ThrowIfNotCurrent(key, expectedETag, "clear");
            _states.Remove(key);
        }
    }

    private void ThrowIfNotCurrent(Key key, string? expectedETag, string operation)
    {
        var stored = _states.TryGetValue(key, out var current) ? current.ETag : null;
        if (!string.Equals(stored, expectedETag, StringComparison.Ordinal))
        {
            throw new InconsistentStateException(
                $"Cannot {operation} {key.StateName} of {key.GrainId} in {key.Provider}: another write came first.",
                storedEtag: stored ?? "(none)",
                currentEtag: expectedETag ?? "(none)");
        }
    }
}
