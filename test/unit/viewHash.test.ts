// @vitest-environment jsdom
/**
 * The view half of the URL hash, driven by one table (VIEW_PARAMS): defaults, the current and
 * the older key spellings, the hash written back, and a banner naming the key for every invalid
 * view value (hide=, sel=, probe_sel= were once dropped silently).
 */
import { describe, expect, it } from 'vitest';
import { PRESET_CONFIGS } from '../../src/core/formats/config';
import { bootFromHash } from '../../src/app/controller';
import { useRunStore } from '../../src/store/runStore';
import { CLASSROOM_DEFAULT, defaultView, hashFor, VIEW_KEYS, VIEW_PARAMS, viewFromHash } from '../../src/store/viewHash';

const config = { ...PRESET_CONFIGS.quick, n: 2, k: 8 };

describe('view parameters table', () => {
  it('defaults: nothing selected, following live, scoreN = the run n; the store starts from the same table', () => {
    expect(defaultView(config)).toEqual({
      selectedEpoch: null,
      selectedProbe: 0,
      scoreN: 2,
      normMode: 'probe',
      logBase: 'e',
      flipK: 10,
      overlapM: 3,
      hiddenControls: [],
      autostart: false,
      view: 'run',
      gain: 1.5,
      chaosHidden: 64,
      chaosInput: 'zero',
      story: 'off',
      storySize: 'auto',
    });
    expect(viewFromHash('#preset=quick', config)).toEqual({ view: defaultView(config), issues: [] });
    const s = useRunStore.getState();
    const initial = Object.fromEntries(VIEW_KEYS.map((k) => [k, s[k]]));
    expect({ ...initial, scoreN: 1 }).toEqual(defaultView());
  });

  it('reads the older spellings (sel, probe_sel, view_n, norm, log2, flipk, m, classroom)', () => {
    const { view, issues } = viewFromHash('#sel=2&probe_sel=4&view_n=3&norm=epoch&log2=1&flipk=5&m=2&classroom=1', config);
    expect(issues).toEqual([]);
    expect(view).toEqual({
      selectedEpoch: 2,
      selectedProbe: 4,
      scoreN: 3,
      normMode: 'epoch',
      logBase: '2',
      flipK: 5,
      overlapM: 2,
      hiddenControls: CLASSROOM_DEFAULT,
      autostart: false,
      view: 'run',
      gain: 1.5,
      chaosHidden: 64,
      chaosInput: 'zero',
      story: 'off',
      storySize: 'auto',
    });
    // hide= picks the controls; classroom=1 is only the default set when hide is absent.
    expect(viewFromHash('#classroom=1&hide=preset,tour', config).view.hiddenControls).toEqual(['preset', 'tour']);
  });

  it('writes field-named keys (hide for the hidden controls), only for non-default values, and reads them back', () => {
    const view = {
      ...defaultView(config),
      selectedEpoch: 3,
      scoreN: 4,
      logBase: '2' as const,
      hiddenControls: ['files' as const, 'tour' as const],
    };
    const hash = hashFor({ config, ...view });
    const params = new URLSearchParams(hash.slice(1));
    expect(params.get('selectedEpoch')).toBe('3');
    expect(params.get('scoreN')).toBe('4');
    expect(params.get('logBase')).toBe('2');
    expect(params.get('hide')).toBe('files,tour');
    for (const key of ['selectedProbe', 'normMode', 'flipK', 'overlapM', 'autostart']) expect(params.has(key)).toBe(false);
    // autostart=1 (a classroom link that trains on load) is written back, so the link keeps it.
    const auto = hashFor({ config, ...defaultView(config), autostart: true });
    expect(new URLSearchParams(auto.slice(1)).get('autostart')).toBe('1');
    expect(viewFromHash(auto, config).view.autostart).toBe(true);
    expect(viewFromHash('#autostart=yes', config).issues.map((i) => i.key)).toEqual(['autostart']);
    expect(viewFromHash(hash, config)).toEqual({ view, issues: [] });
    expect(VIEW_PARAMS.every((p) => p.key === p.field || (p.field === 'hiddenControls' && p.key === 'hide'))).toBe(true);
  });

  it('reads the edge-of-chaos view keys and refuses gains outside the slider', () => {
    const { view, issues } = viewFromHash('#view=chaos&gain=2.25&chaosHidden=128&chaosInput=probe', config);
    expect(issues).toEqual([]);
    expect([view.view, view.gain, view.chaosHidden, view.chaosInput]).toEqual(['chaos', 2.25, 128, 'probe']);
    const bad = viewFromHash('#view=chaos&gain=5&chaosHidden=1024', config);
    expect(bad.issues.map((i) => i.key)).toEqual(['gain', 'chaosHidden']);
    expect(bad.view.gain).toBe(1.5);
  });

  it('an invalid value is an issue naming the key as written, and the default stays', () => {
    const { view, issues } = viewFromHash('#hide=config,bogus&sel=-1&probe_sel=x&normMode=all&flipK=0', config);
    expect(issues.map((i) => i.key)).toEqual(['sel', 'probe_sel', 'flipK', 'hide']);
    expect(issues.find((i) => i.key === 'hide')!.message).toMatch(/^invalid hide="config,bogus": unknown control "bogus"/);
    expect(issues.find((i) => i.key === 'sel')!.message).toMatch(/^invalid sel="-1": expected an epoch/);
    expect(view.selectedEpoch).toBeNull();
    expect(view.selectedProbe).toBe(0);
    expect(view.flipK).toBe(10);
    expect(view.hiddenControls).toEqual([]);
    expect(view.normMode).toBe('all');
    // The same field under two spellings is ambiguous.
    expect(viewFromHash('#sel=1&selectedEpoch=2', config).issues[0].message).toMatch(/selectedEpoch \/ sel given 2 times/);
  });
});

describe('story keys', () => {
  it('story=claim and storySize= are read, written back only when not the default, and a bad value is refused by key', () => {
    const { view, issues } = viewFromHash('#preset=quick&story=claim&storySize=glance', config);
    expect(issues).toEqual([]);
    expect(view.story).toBe('claim');
    expect(view.storySize).toBe('glance');
    const params = new URLSearchParams(hashFor({ config, ...view }).slice(1));
    expect(params.get('story')).toBe('claim');
    expect(params.get('storySize')).toBe('glance');
    expect(new URLSearchParams(hashFor({ config, ...defaultView(config) }).slice(1)).has('story')).toBe(false);
    const bad = viewFromHash('#storySize=huge', config);
    expect(bad.view.storySize).toBe('auto');
    expect(bad.issues[0].message).toMatch(/^invalid storySize="huge": expected auto \| glance \| lecture \| paper/);
  });
});

describe('boot from the hash', () => {
  it('invalid hide=, sel= and probe_sel= get the same banner as an invalid config key, naming the key', () => {
    window.location.hash = '#preset=quick&epochs=zero&hide=files,nope&sel=abc&probe_sel=99999';
    bootFromHash();
    const messages = useRunStore
      .getState()
      .banners.filter((b) => b.kind === 'error')
      .map((b) => b.message);
    expect(messages).toHaveLength(4);
    for (const key of ['epochs', 'hide', 'sel', 'probe_sel']) {
      expect(messages.some((m) => m.startsWith(`URL parameter refused: invalid ${key}="`))).toBe(true);
    }
    const s = useRunStore.getState();
    expect(s.hiddenControls).toEqual([]);
    expect(s.selectedEpoch).toBeNull();
    expect(s.selectedProbe).toBe(0);
    expect(s.scoreN).toBe(s.config.n);
  });
});
