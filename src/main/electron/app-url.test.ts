import { describe, expect, it } from 'vitest';
import { appUrlMatcher } from './app-url';

describe('the app window is recognised by its URL wherever the app is installed', () => {
  it('accepts a macOS install under a path with spaces, refuses a sibling folder', () => {
    const isApp = appUrlMatcher({
      rendererDir: '/Applications/WAVE Control Center.app/Contents/Resources/app.asar/out/renderer',
      windows: false,
    });
    // What Electron reports for the built page: percent-encoded.
    expect(
      isApp('file:///Applications/WAVE%20Control%20Center.app/Contents/Resources/app.asar/out/renderer/index.html'),
    ).toBe(true);
    expect(
      isApp(
        'file:///Applications/WAVE%20Control%20Center.app/Contents/Resources/app.asar/out/renderer/index.html#/prd',
      ),
    ).toBe(true);
    expect(
      isApp('file:///Applications/WAVE%20Control%20Center.app/Contents/Resources/app.asar/out/renderer-evil/x.html'),
    ).toBe(false);
    expect(
      isApp(
        'file:///Applications/WAVE%20Control%20Center.app/Contents/Resources/app.asar/out/renderer/../../evil.html',
      ),
    ).toBe(false);
    expect(
      isApp(
        'file:///Applications/WAVE%20Control%20Center.app/Contents/Resources/app.asar/out/renderer/%2E%2E/evil.html',
      ),
    ).toBe(false);
    expect(
      isApp('file:///Applications/WAVE%20Control%20Center.app/Contents/Resources/app.asar/out/renderer/..%2Fevil.html'),
    ).toBe(false);
    expect(isApp('file:///tmp/index.html')).toBe(false);
    expect(
      isApp(
        'file://evil.example/Applications/WAVE%20Control%20Center.app/Contents/Resources/app.asar/out/renderer/index.html',
      ),
    ).toBe(false);
  });

  it('accepts an install path with non-ASCII characters', () => {
    const isApp = appUrlMatcher({ rendererDir: '/home/zoë/Programme/WAVE Contrôle/out/renderer', windows: false });
    expect(isApp('file:///home/zo%C3%AB/Programme/WAVE%20Contr%C3%B4le/out/renderer/index.html')).toBe(true);
    expect(isApp('file:///home/zoe/Programme/WAVE%20Contr%C3%B4le/out/renderer/index.html')).toBe(false);
  });

  it('accepts a Windows install under C:\\Program Files, with either case of drive letter', () => {
    const isApp = appUrlMatcher({
      rendererDir: 'C:\\Program Files\\WAVE Control Center\\resources\\app.asar\\out\\renderer',
      windows: true,
    });
    expect(isApp('file:///C:/Program%20Files/WAVE%20Control%20Center/resources/app.asar/out/renderer/index.html')).toBe(
      true,
    );
    expect(isApp('file:///c:/Program%20Files/WAVE%20Control%20Center/resources/app.asar/out/renderer/index.html')).toBe(
      true,
    );
    expect(isApp('file:///D:/Program%20Files/WAVE%20Control%20Center/resources/app.asar/out/renderer/index.html')).toBe(
      false,
    );
    expect(
      isApp('file:///C:/Program%20Files/WAVE%20Control%20Center/resources/app.asar/out/renderer%5C..%5Cevil.html'),
    ).toBe(false);
  });

  it('accepts the dev server only on its own origin', () => {
    const isApp = appUrlMatcher({ devUrl: 'http://localhost:5173/' });
    expect(isApp('http://localhost:5173/')).toBe(true);
    expect(isApp('http://localhost:5173/index.html?x=1')).toBe(true);
    expect(isApp('http://localhost:5173.evil.example/')).toBe(false);
    expect(isApp('http://localhost:5174/')).toBe(false);
    expect(isApp('https://localhost:5173/')).toBe(false);
    expect(isApp('http://user@localhost:5173/')).toBe(false);
    expect(isApp('not a url')).toBe(false);
    expect(isApp('')).toBe(false);
  });
});
