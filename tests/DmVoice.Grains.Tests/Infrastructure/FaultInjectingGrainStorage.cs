using System.Collections.Concurrent;
using System.Text.Json;
using DmVoice.TestSupport;
using Orleans.Storage;

namespace DmVoice.Tests.Infrastructure;

/// <summary>
/// Which storage writes should fail, shared by the test and the silos of one cluster. A rule names a
/// grain state (<c>call</c>, <c>voice</c>, <c>group</c>, ...) and the grain's key, lets <c>skip</c>
/// matching writes through, then fails the next <c>count</c>, either before they reach storage or
/// after (a write that timed out but landed). It also counts the writes that were stored and, for a state a
/// test watches, keeps a copy of each for the test to wait for.
/// </summary>
public sealed class StorageFaults
{
    private readonly ConcurrentQueue<Rule> _rules = new();
    private readonly ConcurrentDictionary<(string State, string Key), int> _stored = new();
    private readonly ConcurrentDictionary<(string State, string Key), HeldWrite> _holds = new();
    private readonly ConcurrentDictionary<(string State, string Key), ConcurrentQueue<JsonElement>> _watched = new();
    private readonly ConcurrentDictionary<(string State, string Key), SemaphoreSlim> _gates = new();

    private sealed class Rule(string stateName, string grainKey, int skip, int count, bool lands)
    {
        private int _seen;

        public bool Lands => lands;

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
        _rules.Enqueue(new Rule(stateName, grainKey, skip, count, lands: false));

    /// <summary>
    /// Stores the next write of that state of that grain and then fails it all the same, as a write whose
    /// answer timed out after storage took it: the grain believes it failed, storage holds it.
    /// </summary>
    public void FailWritesAfterStoring(string stateName, string grainKey) =>
        _rules.Enqueue(new Rule(stateName, grainKey, skip: 0, count: 1, lands: true));

    /// <summary>
    /// Holds the next write of that state of that grain in front of storage until the test releases it,
    /// as Redis paused for writes holds a write: the grain's turn waits on it.
    /// </summary>
    public HeldWrite HoldNextWrite(string stateName, string grainKey)
    {
        var hold = new HeldWrite();
        if (!_holds.TryAdd((stateName, grainKey), hold))
        {
            throw new InvalidOperationException($"A write of '{stateName}' of {grainKey} is already planned to be held.");
        }

        return hold;
    }

    internal HeldWrite? TakeHold(string stateName, GrainId grainId) =>
        _holds.TryRemove((stateName, grainId.Key.ToString()!), out var hold) ? hold : null;

    /// <summary>How many writes of that state of that grain were stored (failed ones not counted).</summary>
    public int StoredWrites(string stateName, string grainKey) => _stored.GetValueOrDefault((stateName, grainKey));

    /// <summary>From now on keeps a copy of every stored write of that state of that grain, for <see cref="WaitForStoredAsync"/>.</summary>
    public void Watch(string stateName, string grainKey) => _watched.TryAdd((stateName, grainKey), new ConcurrentQueue<JsonElement>());

    /// <summary>
    /// Waits until the writes of a watched state stored so far, oldest first, satisfy <paramref name="done"/>.
    /// A one-way message's only effect may be what the grain writes, and Orleans does not promise that one-way
    /// messages arrive in the order they were sent (nor before a later round trip): a test that needs them
    /// dealt with before it goes on waits for what the grain stored.
    /// </summary>
    public Task<IReadOnlyList<T>> WaitForStoredAsync<T>(string stateName, string grainKey, Func<IReadOnlyList<T>, bool> done, string what)
    {
        if (!_watched.TryGetValue((stateName, grainKey), out var writes))
        {
            throw new InvalidOperationException($"Watch '{stateName}' of {grainKey} before the writes to wait for.");
        }

        return Eventually.GetAsync<IReadOnlyList<T>>(
            () => Task.FromResult<IReadOnlyList<T>>(writes.Select(w => w.Deserialize<T>()!).ToArray()),
            done,
            what);
    }

    /// <summary>Counts a stored write; of a watched state, keeps a copy taken in the grain's turn (the state is the grain's own object).</summary>
    internal void Stored<T>(string stateName, GrainId grainId, T state)
    {
        var key = (stateName, grainId.Key.ToString()!);
        if (_watched.TryGetValue(key, out var writes))
        {
            writes.Enqueue(JsonSerializer.SerializeToElement(state));
        }

        _stored.AddOrUpdate(key, 1, (_, n) => n + 1);
    }

    /// <summary>
    /// Runs one storage operation on that state of that grain at a time: a write is counted (and copied)
    /// before a read of that state can see it, so a test that saw a write in storage finds it in
    /// <see cref="StoredWrites"/> too.
    /// </summary>
    internal async Task OneAtATimeAsync(string stateName, GrainId grainId, Func<Task> operation)
    {
        var gate = _gates.GetOrAdd((stateName, grainId.Key.ToString()!), _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync();
        try
        {
            await operation();
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Whether every rule has been used up (the faults the test planned did happen).</summary>
    public bool AllSpent => _rules.All(r => r.Spent);

    /// <summary>Whether this write fails, and if so whether it reaches storage first.</summary>
    internal (bool Fails, bool Lands) Decide(string stateName, GrainId grainId)
    {
        var key = grainId.Key.ToString()!;
        var (fails, lands) = (false, false);
        foreach (var rule in _rules)
        {
            if (rule.Fails(stateName, key))
            {
                fails = true;
                lands |= rule.Lands;
            }
        }

        return (fails, lands);
    }
}

/// <summary>A write held in front of storage (<see cref="StorageFaults.HoldNextWrite"/>).</summary>
public sealed class HeldWrite
{
    private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the write has arrived and is being held.</summary>
    public Task Reached => _reached.Task;

    /// <summary>Lets the write go on to storage.</summary>
    public void Release() => _released.TrySetResult();

    internal Task HoldAsync()
    {
        _reached.TrySetResult();
        return _released.Task;
    }
}

/// <summary>
/// Real grain storage with planned write failures (and held writes) in front of it, failing the way a
/// paused or unreachable Redis does (a timeout), so a test can choose exactly which write of which grain fails.
/// </summary>
public sealed class FaultInjectingGrainStorage(IGrainStorage inner, StorageFaults faults) : IGrainStorage
{
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        faults.OneAtATimeAsync(stateName, grainId, () => inner.ReadStateAsync(stateName, grainId, grainState));

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        // Held before it takes its turn: storage stays readable while a write waits.
        if (faults.TakeHold(stateName, grainId) is { } hold)
        {
            await hold.HoldAsync();
        }

        await faults.OneAtATimeAsync(stateName, grainId, async () =>
        {
            var (fails, lands) = faults.Decide(stateName, grainId);
            if (fails && !lands)
            {
                throw new TimeoutException($"Injected fault: writing '{stateName}' of {grainId} timed out.");
            }

            await inner.WriteStateAsync(stateName, grainId, grainState);
            faults.Stored(stateName, grainId, grainState.State);
            if (fails)
            {
                throw new TimeoutException($"Injected fault: writing '{stateName}' of {grainId} timed out after it was stored.");
            }
        });
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        faults.OneAtATimeAsync(stateName, grainId, () => inner.ClearStateAsync(stateName, grainId, grainState));
}
