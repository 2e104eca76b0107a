import type { Locator, Page } from '@playwright/test';
import type { DropFile } from './project';

/**
 * Drops files on an element the way the browser does for a drag from the desktop:
 * dragenter, dragover and drop carrying one DataTransfer built in the page.
 */
export async function dropFiles(page: Page, target: Locator, files: DropFile[]): Promise<void> {
  const dataTransfer = await page.evaluateHandle((list) => {
    const dt = new DataTransfer();
    for (const f of list) {
      const type = f.type ?? (f.name.endsWith('.md') ? 'text/markdown' : 'application/json');
      dt.items.add(new File([f.text], f.name, { type }));
    }
    return dt;
  }, files);
  await target.dispatchEvent('dragenter', { dataTransfer });
  await target.dispatchEvent('dragover', { dataTransfer });
  await target.dispatchEvent('drop', { dataTransfer });
  await dataTransfer.dispose();
}
