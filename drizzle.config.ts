import { defineConfig } from 'drizzle-kit';

// `npm run db:generate` writes SQL migrations into migrations/; the store applies them at start-up.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/main/store/schema.ts',
  out: './migrations',
});
