using Marketing.Sdk.Storage;

namespace Marketing.Sdk.Segmentation;

/// <summary>Why a condition held or not, for <see cref="ISegmentService.ExplainAsync"/>.</summary>
/// <param name="Condition">The condition in the rule language.</param>
/// <param name="Satisfied">Whether it held.</param>
/// <param name="Observed">What was observed for event aggregates (e.g. <c>count = 2</c>) and <c>not set</c> for missing fields; trait values are not repeated.</param>
/// <param name="Children">The explanations of the operands of <c>and</c>, <c>or</c>, <c>not</c> and segment references.</param>
public sealed record ConditionExplanation(string Condition, bool Satisfied, string? Observed, IReadOnlyList<ConditionExplanation> Children)
{
    /// <summary>Describes the result without the condition's literals.</summary>
    public override string ToString() => $"ConditionExplanation {{ Satisfied = {Satisfied}, Observed = {Observed}, Children = {Children.Count} }}";
}

/// <summary>Whether a profile is in a segment and which conditions decided it.</summary>
/// <param name="SegmentId">The segment.</param>
/// <param name="CustomerId">The profile.</param>
/// <param name="IsMember">Whether the profile is a member.</param>
/// <param name="Root">The explanation of the rule.</param>
public sealed record SegmentExplanation(string SegmentId, CustomerId CustomerId, bool IsMember, ConditionExplanation Root)
{
    /// <summary>The innermost conditions that did not hold (the reasons a non-member is out).</summary>
    public IReadOnlyList<ConditionExplanation> FailedConditions
    {
        get
        {
            var list = new List<ConditionExplanation>();
            Collect(Root, list);
            return list;
        }
    }

    private static void Collect(ConditionExplanation node, List<ConditionExplanation> into)
    {
        if (node.Satisfied)
        {
            return;
        }
        var failedChildren = node.Children.Where(c => !c.Satisfied).ToList();
        if (failedChildren.Count == 0)
        {
            into.Add(node);
            return;
        }
        foreach (var child in failedChildren)
        {
            Collect(child, into);
        }
    }
}

/// <summary>The running aggregate of one event aggregate condition for one customer.</summary>
internal struct Accumulator
{
    public long Count;
    public long ValueCount;
    public decimal Sum;
    public decimal Min;
    public decimal Max;

    public void Add(decimal? value)
    {
        Count++;
        if (value is not { } v)
        {
            return;
        }
        if (ValueCount == 0)
        {
            Min = v;
            Max = v;
        }
        else
        {
            Min = Math.Min(Min, v);
            Max = Math.Max(Max, v);
        }
        ValueCount++;
        Sum += v;
    }

    public readonly decimal? Result(AggregateFunction? function) => function switch
    {
        null or AggregateFunction.Count => Count,
        AggregateFunction.Sum => Sum,
        _ when ValueCount == 0 => null,
        AggregateFunction.Min => Min,
        AggregateFunction.Max => Max,
        _ => Sum / ValueCount,
    };
}

/// <summary>One event aggregate of a compiled segment: what to count and where.</summary>
internal sealed class AggregateSlot(EventType type, Func<MarketingEvent, bool>? filter, TimeWindow? window, AggregateFunction? function, string? field)
{
    public EventType Type { get; } = type;
    public Func<MarketingEvent, bool>? Filter { get; } = filter;
    public TimeWindow? Window { get; } = window;
    /// <summary>The function, or <see langword="null"/> for <c>exists</c>.</summary>
    public AggregateFunction? Function { get; } = function;
    public string? Field { get; } = field;

    public bool Accepts(MarketingEvent e, DateTimeOffset now) =>
        e.Type == Type && (Window is null || Window.Contains(e.OccurredAt, now)) && (Filter is null || Filter(e));

    public decimal? FieldValue(MarketingEvent e) => Field is null ? null : ValueSemantics.EventField(e, Field).AsNumber();
}

/// <summary>
/// A segment rule compiled to delegates (closures over pre-built literal sets), with referenced
/// segments inlined. Evaluates one profile from the profile and its events; thread-safe.
/// Create with <see cref="SegmentCompiler.Compile"/>.
/// </summary>
public sealed class CompiledSegment
{
    private readonly Node _root;
    private readonly AggregateSlot[] _slots;
    private readonly Dictionary<EventType, (int Index, AggregateSlot Slot)[]> _slotsByType;

    internal CompiledSegment(SegmentDefinition definition, Node root, AggregateSlot[] slots)
    {
        Definition = definition;
        _root = root;
        _slots = slots;
        _slotsByType = slots.Select((s, i) => (Index: i, Slot: s)).GroupBy(x => x.Slot.Type).ToDictionary(g => g.Key, g => g.ToArray());
        EventTypes = [.. _slotsByType.Keys.OrderBy(t => t.Value, StringComparer.Ordinal)];
    }

    /// <summary>The segment compiled.</summary>
    public SegmentDefinition Definition { get; }

    /// <summary>The segment id.</summary>
    public string SegmentId => Definition.Id;

    /// <summary>The event types the rule (and the rules it references) aggregates; empty when it reads traits and tags only.</summary>
    public IReadOnlyList<EventType> EventTypes { get; }

    internal AggregateSlot[] Slots => _slots;

    internal Node Root => _root;

    /// <summary>
    /// The event selection evaluation needs at <paramref name="now"/>: the aggregated types since the
    /// earliest window start (all time when any aggregate has no window); <see langword="null"/>
    /// when the rule reads no events.
    /// </summary>
    /// <param name="customerId">Restrict to one customer, or <see langword="null"/> for all.</param>
    /// <param name="now">The evaluation instant.</param>
    public EventQuery? EventQueryFor(CustomerId? customerId, DateTimeOffset now)
    {
        if (_slots.Length == 0)
        {
            return null;
        }
        DateTimeOffset? from = _slots.Any(s => s.Window is null) ? null : _slots.Min(s => s.Window!.Start(now));
        return new EventQuery { CustomerId = customerId, Types = EventTypes, From = from };
    }

    /// <summary>Whether the profile is a member, given its events (any order; events of other types or customers' are ignored by type only, so pass this customer's events).</summary>
    /// <param name="profile">The profile.</param>
    /// <param name="events">The profile's events (at least those selected by <see cref="EventQueryFor"/>).</param>
    /// <param name="now">The evaluation instant (windows end here).</param>
    public bool Evaluate(CustomerProfile profile, IEnumerable<MarketingEvent> events, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(events);
        var state = t_state ??= new EvalState();
        state.Reset(this, events, now);
        try
        {
            return _root.Eval(profile, state);
        }
        finally
        {
            state.Clear();
        }
    }

    [ThreadStatic]
    private static EvalState? t_state;

    /// <summary>Evaluates and explains which conditions held.</summary>
    /// <param name="profile">The profile.</param>
    /// <param name="events">The profile's events.</param>
    /// <param name="now">The evaluation instant.</param>
    public SegmentExplanation Explain(CustomerProfile profile, IEnumerable<MarketingEvent> events, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(events);
        var state = new EvalState();
        state.Reset(this, events, now);
        var root = _root.Explain(profile, state);
        return new SegmentExplanation(SegmentId, profile.Id, root.Satisfied, root);
    }

    internal void Accumulate(Accumulator[] acc, IEnumerable<MarketingEvent> events, DateTimeOffset now)
    {
        Array.Clear(acc);
        if (_slots.Length == 0)
        {
            return;
        }
        if (events is IReadOnlyList<MarketingEvent> list)
        {
            for (var i = 0; i < list.Count; i++)
            {
                Add(acc, list[i], now);
            }
            return;
        }
        foreach (var e in events)
        {
            Add(acc, e, now);
        }
    }

    internal void Add(Accumulator[] acc, MarketingEvent e, DateTimeOffset now)
    {
        if (!_slotsByType.TryGetValue(e.Type, out var slots))
        {
            return;
        }
        foreach (var (index, slot) in slots)
        {
            if (slot.Accepts(e, now))
            {
                acc[index].Add(slot.FieldValue(e));
            }
        }
    }

    internal bool Evaluate(CustomerProfile profile, Accumulator[] acc) => _root.Eval(profile, EvalState.Filled(acc));
}

/// <summary>
/// What a node sees while evaluating one profile: the event accumulators, folded from the events
/// on first use (so rules whose trait conditions fail never read events), or given pre-filled.
/// </summary>
internal sealed class EvalState
{
    private CompiledSegment? _owner;
    private IEnumerable<MarketingEvent>? _events;
    private DateTimeOffset _now;
    private Accumulator[] _acc = [];
    private bool _filled;

    public static EvalState Filled(Accumulator[] acc) => new() { _acc = acc, _filled = true };

    public void Reset(CompiledSegment owner, IEnumerable<MarketingEvent> events, DateTimeOffset now)
    {
        _owner = owner;
        _events = events;
        _now = now;
        _filled = false;
        if (_acc.Length != owner.Slots.Length)
        {
            _acc = new Accumulator[owner.Slots.Length];
        }
    }

    public void Clear()
    {
        _owner = null;
        _events = null;
    }

    public Accumulator[] Acc
    {
        get
        {
            if (!_filled)
            {
                _owner!.Accumulate(_acc, _events!, _now);
                _filled = true;
            }
            return _acc;
        }
    }
}

/// <summary>A compiled rule node: the delegate plus what is needed to explain it.</summary>
internal sealed class Node(SegmentCondition source, Func<CustomerProfile, EvalState, bool> eval, Node[] children, int slot = -1, AggregateFunction? function = null, string? field = null, string? referencedSegment = null)
{
    public SegmentCondition Source { get; } = source;
    public Func<CustomerProfile, EvalState, bool> Eval { get; } = eval;
    public Node[] Children { get; } = children;
    public int Slot { get; } = slot;
    public bool ReadsEvents { get; } = slot >= 0 || children.Any(c => c.ReadsEvents);

    public ConditionExplanation Explain(CustomerProfile profile, EvalState state)
    {
        var satisfied = Eval(profile, state);
        var acc = state.Acc;
        string? observed = null;
        if (Slot >= 0)
        {
            var value = acc[Slot].Result(function);
            observed = function is null
                ? $"count = {acc[Slot].Count}"
                : value is { } v ? $"{function.Value.ToString().ToLowerInvariant()} = {v.ToString(System.Globalization.CultureInfo.InvariantCulture)}" : $"{function.Value.ToString().ToLowerInvariant()} has no value";
        }
        else if (field is not null && profile.Trait(field).IsNull)
        {
            observed = "not set";
        }
        var text = referencedSegment is null ? SegmentDsl.Format(Source) : $"segment(\"{referencedSegment}\")";
        return new ConditionExplanation(text, satisfied, observed, [.. Children.Select(c => c.Explain(profile, state))]);
    }
}

/// <summary>Compiles segment rules into <see cref="CompiledSegment"/> delegates.</summary>
public static class SegmentCompiler
{
    /// <summary>Compiles a segment.</summary>
    /// <param name="definition">The segment.</param>
    /// <param name="resolve">Looks up segments referenced with <c>segment("id")</c>; <see langword="null"/> when the rule references none.</param>
    /// <exception cref="MarketingValidationException">The rule is not valid (see <see cref="SegmentDsl.Validate"/>).</exception>
    /// <exception cref="SegmentReferenceException">A referenced segment is unknown or the references form a cycle.</exception>
    public static CompiledSegment Compile(SegmentDefinition definition, Func<string, SegmentDefinition?>? resolve = null)
    {
        ArgumentNullException.ThrowIfNull(definition);
        SegmentDsl.ValidateSegmentId(definition.Id, "id");
        SegmentDsl.Validate(definition.Rule);
        var state = new State(resolve);
        state.Stack.Add(definition.Id);
        var root = state.Compile(definition.Rule);
        return new CompiledSegment(definition, root, [.. state.Slots]);
    }

    private sealed class State(Func<string, SegmentDefinition?>? resolve)
    {
        public List<AggregateSlot> Slots { get; } = [];
        public List<string> Stack { get; } = [];

        public Node Compile(SegmentCondition c)
        {
            switch (c)
            {
                case AndCondition a:
                    {
                        var children = a.Operands.Select(Compile).ToArray();
                        var evals = CheapFirst(children);
                        return new Node(c, (p, acc) =>
                        {
                            foreach (var e in evals)
                            {
                                if (!e(p, acc))
                                {
                                    return false;
                                }
                            }
                            return true;
                        }, children);
                    }
                case OrCondition o:
                    {
                        var children = o.Operands.Select(Compile).ToArray();
                        var evals = CheapFirst(children);
                        return new Node(c, (p, acc) =>
                        {
                            foreach (var e in evals)
                            {
                                if (e(p, acc))
                                {
                                    return true;
                                }
                            }
                            return false;
                        }, children);
                    }
                case NotCondition n:
                    {
                        var child = Compile(n.Operand);
                        var eval = child.Eval;
                        return new Node(c, (p, acc) => !eval(p, acc), [child]);
                    }
                case FieldCondition f:
                    {
                        var predicate = ValueSemantics.Compile(f.Operator, f.Values);
                        var name = f.Field;
                        return new Node(c, (p, _) => predicate(p.Trait(name)), [], field: name);
                    }
                case TagCondition t:
                    {
                        var tag = t.Tag;
                        return new Node(c, (p, _) => p.StaticTags.Contains(tag) || p.DynamicTags.Contains(tag), []);
                    }
                case SegmentReferenceCondition s:
                    {
                        if (Stack.Contains(s.SegmentId, StringComparer.Ordinal))
                        {
                            throw new SegmentReferenceException(s.SegmentId, $"Segment references form a cycle: {string.Join(" -> ", Stack)} -> {s.SegmentId}.");
                        }
                        var target = resolve?.Invoke(s.SegmentId)
                            ?? throw new SegmentReferenceException(s.SegmentId, $"Segment '{s.SegmentId}' referenced by '{Stack[^1]}' is not defined.");
                        SegmentDsl.Validate(target.Rule);
                        Stack.Add(s.SegmentId);
                        var inner = Compile(target.Rule);
                        Stack.RemoveAt(Stack.Count - 1);
                        return new Node(c, inner.Eval, [inner], referencedSegment: s.SegmentId);
                    }
                case EventExistsCondition e:
                    {
                        var slot = AddSlot(e.EventType, e.Filter, e.Window, null, null);
                        return new Node(c, (_, state) => state.Acc[slot].Count > 0, [], slot);
                    }
                case EventAggregateCondition g:
                    {
                        var slot = AddSlot(g.EventType, g.Filter, g.Window, g.Function, g.Field);
                        var fn = g.Function;
                        var op = g.Operator;
                        var threshold = g.Threshold;
                        return new Node(c, (_, state) => state.Acc[slot].Result(fn) is { } v && ValueSemantics.Compare(v, op, threshold), [], slot, fn);
                    }
                default:
                    throw new SegmentationException("Unknown condition type.");
            }
        }

        /// <summary>Operands that read no events run first, so most profiles never fold their events.</summary>
        private static Func<CustomerProfile, EvalState, bool>[] CheapFirst(Node[] children) =>
            [.. children.OrderBy(c => c.ReadsEvents ? 1 : 0).Select(c => c.Eval)];

        private int AddSlot(EventType type, SegmentCondition? filter, TimeWindow? window, AggregateFunction? function, string? field)
        {
            Slots.Add(new AggregateSlot(type, filter is null ? null : CompileEventFilter(filter), window, function, field));
            return Slots.Count - 1;
        }

        private static Func<MarketingEvent, bool> CompileEventFilter(SegmentCondition c)
        {
            switch (c)
            {
                case AndCondition a:
                    {
                        var parts = a.Operands.Select(CompileEventFilter).ToArray();
                        return e => parts.All(p => p(e));
                    }
                case OrCondition o:
                    {
                        var parts = o.Operands.Select(CompileEventFilter).ToArray();
                        return e => parts.Any(p => p(e));
                    }
                case NotCondition n:
                    {
                        var inner = CompileEventFilter(n.Operand);
                        return e => !inner(e);
                    }
                case FieldCondition f:
                    {
                        var predicate = ValueSemantics.Compile(f.Operator, f.Values);
                        var name = f.Field;
                        return e => predicate(ValueSemantics.EventField(e, name));
                    }
                default:
                    throw new SegmentationException("Event filters contain only field conditions, and, or, not.");
            }
        }
    }
}
