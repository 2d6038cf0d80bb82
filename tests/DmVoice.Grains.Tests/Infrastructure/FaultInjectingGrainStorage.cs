using System.Collections.Concurrent;
using Orleans.Storage;

namespace DmVoice.Tests.Infrastructure;

/// <summary>
/// Which storage writes should fail, shared by the test and the silos of one cluster. A rule names a
/// grain state (<c>call</c>, <c>voice</c>, <c>group</c>, ...) and the grain's key, lets <c>skip</c>
/// matching writes through, then fails the next <c>count</c>. It also counts the writes that were stored.
/// </summary>
public sealed class StorageFaults
{
    private readonly ConcurrentQueue<Rule> _rules = new();
    private readonly ConcurrentDictionary<(string State, string Key), int> _stored = new();

    private sealed class Rule(string stateName, string grainKey, int skip, int count)
    {
        private int _seen;

        public bool Fails(string state, string key)
        {
            if (state != stateName || key != grainKey)
            {
                return false;
            }

            var n = Interlocked.Increment(ref _seen);
            return n > skip && n <= skip + count;
        }

        public bool Spent => Volatile.Read(ref _seen) >= skip + count;
    }

    /// <summary>Fails the next <paramref name="count"/> writes of that state of that grain, after letting <paramref name="skip"/> through.</summary>
    public void FailWrites(string stateName, string grainKey, int count = 1, int skip = 0) =>
        _rules.Enqueue(new Rule(stateName, grainKey, skip, count));

    /// <summary>How many writes of that state of that grain were stored (failed ones not counted).</summary>
    public int StoredWrites(string stateName, string grainKey) => _stored.GetValueOrDefault((stateName, grainKey));

    internal void Stored(string stateName, GrainId grainId) =>
        _stored.AddOrUpdate((stateName, grainId.Key.ToString()!), 1, (_, n) => n + 1);

    /// <summary>Whether every rule has been used up (the faults the test planned did happen).</summary>
    public bool AllSpent => _rules.All(r => r.Spent);

    internal bool ShouldFail(string stateName, GrainId grainId)
    {
        var key = grainId.Key.ToString()!;
        var fail = false;
        foreach (var rule in _rules)
        {
            fail |= rule.Fails(stateName, key);
        }

        return fail;
    }
}

/// <summary>
/// Real grain storage with planned write failures in front of it, failing the way a paused or
/// unreachable Redis does (a timeout), so a test can choose exactly which write of which grain fails.
/// </summary>
public sealed class FaultInjectingGrainStorage(IGrainStorage inner, StorageFaults faults) : IGrainStorage
{
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        inner.ReadStateAsync(stateName, grainId, grainState);

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (faults.ShouldFail(stateName, grainId))
        {
            throw new TimeoutException($"Injected fault: writing '{stateName}' of {grainId} timed out.");
        }

        await inner.WriteStateAsync(stateName, grainId, grainState);
        faults.Stored(stateName, grainId);
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        inner.ClearStateAsync(stateName, grainId, grainState);
}
